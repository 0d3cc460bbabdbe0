package sandbox

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The host's side of the instances' network (see netpool.go): this
// process's block of addresses, the nftables table that blocks and NATs
// them, and a netlink socket in the host's namespace. Every Sandbox of the
// process shares it; the last to close removes the table.

// InstanceSubnet holds every instance's address, on every platform of the
// host: blocks of blockBits, one per platform process, each instance a
// /31 of its block (the host's end even, the instance's odd).
var InstanceSubnet = netip.MustParsePrefix("10.254.0.0/16")

const (
	blockBits = 21 // 32 blocks of 1024 instances
	linkStem  = "udn"
	// ipForward is the host's IPv4 forwarding switch.
	ipForward = "/proc/sys/net/ipv4/ip_forward"
)

type netHost struct {
	refs   int
	block  int
	prefix netip.Prefix
	claim  int // a bound abstract socket: the block is taken while it lives
	table  string
	nl     *rtnl // in the host's namespace
	ioctl  int   // an AF_INET socket in the host's namespace
	nft    string

	mu    sync.Mutex // the index allocator
	state []slotState
	next  int
}

type slotState uint8

const (
	slotFree     slotState = iota
	slotUsed               // by a namespace of the pool
	slotDraining           // let go: its veth may still exist
)

var (
	hostNetMu sync.Mutex
	hostNet   *netHost
)

// acquireHostNet returns the process's netHost, setting it up on first use.
func acquireHostNet() (*netHost, error) {
	hostNetMu.Lock()
	defer hostNetMu.Unlock()
	if hostNet != nil {
		hostNet.refs++
		return hostNet, nil
	}
	h, err := setupHostNet()
	if err != nil {
		return nil, err
	}
	h.refs = 1
	hostNet = h
	return h, nil
}

// releaseHostNet drops a reference; the last removes the rules.
func releaseHostNet(h *netHost) error {
	hostNetMu.Lock()
	defer hostNetMu.Unlock()
	if h.refs--; h.refs > 0 {
		return nil
	}
	hostNet = nil
	err := errors.Join(h.drain(), h.runNft("delete table inet "+h.table+"\n"))
	h.nl.close()
	unix.Close(h.ioctl)
	unix.Close(h.claim)
	return err
}

func setupHostNet() (*netHost, error) {
	nft, err := exec.LookPath("nft")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nft", "/sbin/nft"} {
			if _, serr := os.Stat(p); serr == nil {
				nft, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return nil, errors.New("no nft: install nftables")
	}
	h := &netHost{nft: nft, claim: -1, ioctl: -1}
	if err := h.claimBlock(); err != nil {
		return nil, err
	}
	fail := func(err error) (*netHost, error) {
		if h.nl != nil {
			h.nl.close()
		}
		if h.ioctl >= 0 {
			unix.Close(h.ioctl)
		}
		unix.Close(h.claim)
		return nil, err
	}
	if err := overlapsRoutes(h.prefix); err != nil {
		return fail(err)
	}
	if h.nl, err = openRtnl(); err != nil {
		return fail(err)
	}
	if h.ioctl, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return fail(err)
	}
	if err := h.sweep(); err != nil {
		return fail(err)
	}
	if err := h.installRules(); err != nil {
		return fail(err)
	}
	h.state = make([]slotState, 1<<(32-blockBits-1))
	return h, nil
}

// claimBlock takes the first block no other live process holds: the claim
// is an abstract unix socket, released by the kernel when the process dies.
func (h *netHost) claimBlock() error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("claim socket: %w", err)
	}
	base := InstanceSubnet.Addr().As4()
	for b := range 1 << (blockBits - InstanceSubnet.Bits()) {
		if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@updraft-instance-net-" + strconv.Itoa(b)}); err != nil {
			continue
		}
		v := binary.BigEndian.Uint32(base[:]) + uint32(b)<<(32-blockBits)
		h.block, h.claim = b, fd
		h.prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, v))), blockBits)
		h.table = "updraft_net" + strconv.Itoa(b)
		return nil
	}
	unix.Close(fd)
	return fmt.Errorf("every block of %s is taken by another platform process", InstanceSubnet)
}

// linkPrefix names this block's host-side veths: udn<block>-<index>.
func (h *netHost) linkPrefix() string { return linkStem + strconv.Itoa(h.block) + "-" }

// sweep removes links of this block left by a dead process that held it
// (their namespaces died with it, which removes the veths; a few may
// linger while the kernel cleans up).
func (h *netHost) sweep() error {
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		return nil // no sysfs: nothing to find
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), h.linkPrefix()) {
			if err := h.nl.delLink(e.Name()); err != nil && !errors.Is(err, unix.ENODEV) {
				return err
			}
		}
	}
	return nil
}

// installRules replaces this block's table: nothing from an instance
// reaches the host (any of its addresses, IPv4 or IPv6) or another
// instance; the rest leaves masqueraded as the host. It turns on IPv4
// forwarding if it was off, and then drops forwarded traffic that is not
// an instance's, so that the host routes nothing else than before.
func (h *netHost) installRules() error {
	any := linkStem + "*"
	rules := fmt.Sprintf(`table inet %[1]s {}
delete table inet %[1]s
table inet %[1]s {
	chain input {
		type filter hook input priority -10; policy accept;
		iifname %[2]q drop
	}
	chain forward {
		type filter hook forward priority -10; policy accept;
		iifname %[2]q oifname %[2]q drop
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr %[3]s oifname != %[2]q masquerade
	}
}
`, h.table, any, h.prefix)
	fwd, err := os.ReadFile(ipForward)
	if err != nil {
		return fmt.Errorf("read %s: %w", ipForward, err)
	}
	if strings.TrimSpace(string(fwd)) == "0" {
		rules += fmt.Sprintf(`table inet updraft_forward_guard {}
delete table inet updraft_forward_guard
table inet updraft_forward_guard {
	chain forward {
		type filter hook forward priority -20; policy accept;
		iifname != %[1]q oifname != %[1]q drop
	}
}
`, any)
	}
	if err := h.runNft(rules); err != nil {
		return err
	}
	if strings.TrimSpace(string(fwd)) == "0" {
		if err := os.WriteFile(ipForward, []byte("1"), 0); err != nil {
			h.runNft("delete table inet " + h.table + "\n")
			return fmt.Errorf("turn on IPv4 forwarding: %w", err)
		}
	}
	return nil
}

func (h *netHost) runNft(rules string) error {
	cmd := exec.Command(h.nft, "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// alloc takes a free index, round robin, so that an address is reused as
// late as possible (the conntrack entries of its last connections expire
// meanwhile). A let-go index is free once the kernel removed its veth.
func (h *netHost) alloc() (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range len(h.state) {
		i := h.next
		h.next = (h.next + 1) % len(h.state)
		if h.state[i] == slotDraining && h.gone(i) {
			h.state[i] = slotFree
		}
		if h.state[i] == slotFree {
			h.state[i] = slotUsed
			return i, nil
		}
	}
	return 0, fmt.Errorf("all %d instance addresses of %s in use", len(h.state), h.prefix)
}

// gone reports whether index i's veth no longer exists.
func (h *netHost) gone(i int) bool {
	_, err := ifIndex(h.ioctl, h.link(i))
	return errors.Is(err, unix.ENODEV)
}

func (h *netHost) link(i int) string { return h.linkPrefix() + strconv.Itoa(i) }

// free gives index i back; veth: one may still exist (the kernel removes it
// with its namespace).
func (h *netHost) free(i int, veth bool) {
	h.mu.Lock()
	h.state[i] = slotFree
	if veth {
		h.state[i] = slotDraining
	}
	h.mu.Unlock()
}

// drain waits up to 5 s for the kernel to remove the veths of let-go
// namespaces, then removes what is left.
func (h *netHost) drain() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for i, st := range h.state {
		if st != slotDraining {
			continue
		}
		for range 100 {
			if h.gone(i) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := h.nl.delLink(h.link(i)); err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, fmt.Errorf("sandbox: %w", err))
		}
		h.state[i] = slotFree
	}
	return errors.Join(errs...)
}

// addrs are index i's two addresses: the host's end, the instance's.
func (h *netHost) addrs(i int) (host, inst netip.Addr) {
	b := h.prefix.Addr().As4()
	v := binary.BigEndian.Uint32(b[:]) + uint32(2*i)
	host = netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, v)))
	return host, host.Next()
}

// overlapsRoutes fails if a route of the host's main table (other than a
// default route and the instances' own) overlaps p.
func overlapsRoutes(p netip.Prefix) error {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 8 || strings.HasPrefix(fl[0], linkStem) {
			continue
		}
		dst, err1 := hex.DecodeString(fl[1])
		mask, err2 := hex.DecodeString(fl[7])
		if err1 != nil || err2 != nil || len(dst) != 4 || len(mask) != 4 {
			continue
		}
		bits := 0
		for _, m := range mask {
			for ; m != 0; m <<= 1 {
				bits++
			}
		}
		if bits == 0 {
			continue
		}
		// /proc/net/route prints the address in host order (little-endian).
		r := netip.PrefixFrom(netip.AddrFrom4([4]byte{dst[3], dst[2], dst[1], dst[0]}), bits)
		if r.Overlaps(p) {
			return fmt.Errorf("the host routes %s (dev %s), which overlaps the instances' %s", r, fl[0], p)
		}
	}
	return nil
}
