package sandbox

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// dialer is a Python program that tries each host:port of its arguments
// and prints "<addr> ok" or "<addr> ERR <why>" for each.
const dialer = `import socket, sys
for a in sys.argv[1:]:
    h, p = a.rsplit(":", 1)
    try:
        socket.create_connection((h, int(p)), timeout=1).close()
        print(a, "ok")
    except OSError as e:
        print(a, "ERR", e)
`

// isolated returns a sandbox that isolates instances' networks, or skips.
func isolated(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	cfg.ScratchDir = t.TempDir()
	s, err := New(cfg)
	must(t, err)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if !s.Enforced() {
		t.Skip(s.Report())
	}
	return s
}

// dial runs dialer in an instance of s and returns each address's outcome.
func dial(t *testing.T, s *Sandbox, addrs ...string) map[string]string {
	t.Helper()
	var out strings.Builder
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", dialer}, addrs...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	b, err := s.Start(cmd, Spec{MemoryMB: 128})
	must(t, err)
	werr := cmd.Wait()
	must(t, b.Close())
	if werr != nil {
		t.Fatalf("dialer: %v: %s", werr, out.String())
	}
	res := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		a, r, _ := strings.Cut(l, " ")
		res[a] = r
	}
	return res
}

// TestIsolatedNetworkHost: an instance reaches none of the host's
// services, on loopback or on any other address of the host (its own
// gateway included), while an instance on the host's network does.
func TestIsolatedNetworkHost(t *testing.T) {
	s := isolated(t, Config{})
	if !s.IsolatesNetwork() {
		t.Fatal("an enforced sandbox does not isolate the network")
	}
	ln, err := net.Listen("tcp", ":0") // every address of the host
	must(t, err)
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	targets := []string{"127.0.0.1:" + port}
	ifAddrs, err := net.InterfaceAddrs()
	must(t, err)
	for _, a := range ifAddrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
			targets = append(targets, p.Addr().String()+":"+port)
		}
	}
	// The instance's gateway: the host's end of its veth. The next
	// instance's is not known ahead, so ask for the ones of the ready.
	for _, sl := range readyNets(s) {
		gw, _ := s.net.h.addrs(sl)
		targets = append(targets, gw.String()+":"+port)
	}
	res := dial(t, s, targets...)
	for _, a := range targets {
		if r := res[a]; !strings.HasPrefix(r, "ERR") {
			t.Errorf("an isolated instance dialled the host's %s: %q", a, r)
		}
	}
	host := isolated(t, Config{HostNetwork: true})
	if host.IsolatesNetwork() {
		t.Fatal("HostNetwork: still isolated")
	}
	if r := dial(t, host, targets[0])[targets[0]]; r != "ok" {
		t.Fatalf("on the host's network, dial %s: %q", targets[0], r)
	}
}

// readyNets lists the indexes of s's ready namespaces, leaving them ready.
func readyNets(s *Sandbox) []int {
	var idx []int
	for range len(s.net.ready) {
		sl := <-s.net.ready
		idx = append(idx, sl.idx)
		s.net.ready <- sl
	}
	return idx
}

// TestIsolatedNetworkInstances: an instance cannot reach another one
// listening on its address, which answers inside its own namespace.
func TestIsolatedNetworkInstances(t *testing.T) {
	s := isolated(t, Config{})
	srv := exec.Command("/usr/bin/python3", "-c", `import socket
s = socket.socket()
s.bind(("0.0.0.0", 8080))
s.listen(8)
print("ready", flush=True)
while True:
    s.accept()[0].close()
`)
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, err := srv.StdoutPipe()
	must(t, err)
	b, err := s.Start(srv, Spec{MemoryMB: 128})
	must(t, err)
	defer func() {
		unix.Kill(-b.Pid(), unix.SIGKILL)
		b.Kill()
		srv.Wait()
		must(t, b.Close())
	}()
	if l, err := bufio.NewReader(pr).ReadString('\n'); err != nil || l != "ready\n" {
		t.Fatalf("server instance: %q, %v", l, err)
	}
	_, addr := s.net.h.addrs(b.net.idx)
	target := addr.String() + ":8080"
	// It does listen there: a connection from inside its namespace works.
	must(t, onThrowawayThread(func() error {
		if err := unix.Setns(b.net.ns, unix.CLONE_NEWNET); err != nil {
			return err
		}
		c, err := net.Dial("tcp", target)
		if err == nil {
			c.Close()
		}
		return err
	}))
	if r := dial(t, s, target)[target]; !strings.HasPrefix(r, "ERR") {
		t.Fatalf("an instance dialled another's %s: %q", target, r)
	}
}

// TestIsolatedNetworkOutbound: an instance reaches a server outside the
// host (a namespace of the test's, routed from the host, standing in for
// the internet), masqueraded as the host; and the platform's listeners in
// its namespace (the Runtime API, the endpoint's forwarder).
func TestIsolatedNetworkOutbound(t *testing.T) {
	s := isolated(t, Config{})
	ln, peer := internet(t)
	seen := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		seen <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	target := ln.Addr().String()
	if r := dial(t, s, target)[target]; r != "ok" {
		t.Fatalf("dial the internet's %s: %q", target, r)
	}
	if from := <-seen; from != peer {
		t.Fatalf("the internet saw a connection from %s, want the host's %s (NAT)", from, peer)
	}

	// The listeners inside: the platform accepts what the instance sends.
	var out strings.Builder
	cmd := exec.Command("/usr/bin/python3", "-c", dialer, RuntimeAPIAddr, EndpointAddr)
	cmd.Stdout, cmd.Stderr = &out, &out
	b, err := s.Start(cmd, Spec{MemoryMB: 128})
	must(t, err)
	for _, l := range []net.Listener{b.Listener, b.EndpointListener} {
		go func() {
			if c, err := l.Accept(); err == nil {
				io.Copy(io.Discard, c)
				c.Close()
			}
		}()
	}
	werr := cmd.Wait()
	must(t, b.Close())
	if werr != nil || strings.Count(out.String(), " ok\n") != 2 {
		t.Fatalf("the instance's own listeners: %v: %s", werr, out.String())
	}
}

// internet makes a network namespace reached from the host through a veth
// (198.51.100.1 on the host, .2 inside) and listens inside; it returns the
// listener and the host's address there.
func internet(t *testing.T) (net.Listener, string) {
	t.Helper()
	nl, err := openRtnl()
	must(t, err)
	defer nl.close()
	ioc, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(ioc)
	link := "utnet" + strconv.Itoa(os.Getpid()%100000)
	host, inside := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	var ln net.Listener
	ns := -1
	err = onThrowawayThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return err
		}
		var err error
		if ns, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return err
		}
		if err := nl.addVeth(link, "eth0", ns); err != nil {
			return err
		}
		hi, err := ifIndex(ioc, link)
		if err != nil {
			return err
		}
		if err := nl.addAddr(hi, host, 24); err != nil {
			return err
		}
		if err := linkUp(ioc, link); err != nil {
			return err
		}
		in, err := openRtnl()
		if err != nil {
			return err
		}
		defer in.close()
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		i, err := ifIndex(fd, "eth0")
		if err != nil {
			return err
		}
		if err := in.addAddr(i, inside, 24); err != nil {
			return err
		}
		if err := linkUp(fd, "eth0"); err != nil {
			return err
		}
		ln, err = net.Listen("tcp", inside.String()+":0")
		return err
	})
	t.Cleanup(func() {
		if ln != nil {
			ln.Close()
		}
		if nl, err := openRtnl(); err == nil {
			nl.delLink(link)
			nl.close()
		}
		if ns >= 0 {
			unix.Close(ns)
		}
	})
	must(t, err)
	return ln, host.String()
}
