package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Network isolation (the default; Config.HostNetwork turns it off): every
// instance gets a network namespace of its own, with
//
//   - loopback, and on it the platform's listeners RuntimeAPIAddr (the
//     Runtime API) and EndpointAddr (forwarded to the platform's AWS
//     endpoint by the process runtime), as for Spec.NoNetwork;
//   - eth0, one end of a veth pair whose other end is on the host, a /31
//     of this process's block of InstanceSubnet, and a default route
//     through the host, which masquerades it to the outside world.
//
// The host's nftables rules (nethost.go) drop everything an instance
// sends to the host itself (so none of its services, on loopback or on any
// other address, is reachable; the platform's endpoint only through the
// forwarder) and to another instance.
//
// Making a namespace and its veth takes milliseconds of kernel time, so a
// pool keeps Config.WarmSlots of them ready, listeners open: a cold start
// only enters one (setns) on its spawning thread. A namespace is never
// reused: once its instance closed, it is torn down in the background (its
// veth deleted, its descriptors closed, its index freed).

// netSlot is one ready namespace.
type netSlot struct {
	ns            int // an fd of the namespace
	idx           int
	link          string // the host-side veth
	api, endpoint net.Listener
}

// netPool keeps ready namespaces for one Sandbox.
type netPool struct {
	h     *netHost
	log   *slog.Logger
	warm  int
	ready chan *netSlot
	want  chan struct{} // cap 1
	stop  chan struct{}
	done  chan struct{}
	rel   sync.WaitGroup // teardowns in progress
}

// newNetPool sets up the host's side (once per process), makes one
// namespace to prove the host can, and starts the keeper.
func newNetPool(warm int, log *slog.Logger) (*netPool, error) {
	h, err := acquireHostNet()
	if err != nil {
		return nil, err
	}
	p := &netPool{h: h, log: log, warm: warm, ready: make(chan *netSlot, warm),
		want: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	sl, err := p.make()
	if err != nil {
		releaseHostNet(h)
		return nil, err
	}
	p.ready <- sl
	go p.keep()
	p.wake()
	return p, nil
}

// take returns a ready namespace, or makes one.
func (p *netPool) take() (*netSlot, error) {
	defer p.wake()
	select {
	case sl := <-p.ready:
		return sl, nil
	default:
	}
	return p.make()
}

// give tears down a used namespace in the background.
func (p *netPool) give(sl *netSlot) {
	p.rel.Go(func() { p.discard(sl) })
}

func (p *netPool) wake() {
	select {
	case p.want <- struct{}{}:
	default:
	}
}

func (p *netPool) keep() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		case <-p.want:
		}
		for len(p.ready) < p.warm {
			sl, err := p.make()
			if err != nil {
				p.log.Warn("sandbox: prepare an instance network namespace", "err", err)
				break
			}
			select {
			case p.ready <- sl:
			default:
				p.discard(sl)
			}
		}
	}
}

// make creates a namespace with its listeners and veth, addressed and
// routed.
func (p *netPool) make() (*netSlot, error) {
	h := p.h
	idx, err := h.alloc()
	if err != nil {
		return nil, err
	}
	sl := &netSlot{ns: -1, idx: idx, link: h.linkPrefix() + strconv.Itoa(idx)}
	hostIP, instIP := h.addrs(idx)
	err = onThrowawayThread(func() error {
		api, endpoint, err := isolateNetwork()
		if err != nil {
			return err
		}
		sl.api, sl.endpoint = api, endpoint
		if sl.ns, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("sandbox: open the network namespace: %w", err)
		}
		if err := h.nl.addVeth(sl.link, "eth0", sl.ns); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		hi, err := ifIndex(h.ioctl, sl.link)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		if err := h.nl.addAddr(hi, hostIP, 31); err != nil {
			return fmt.Errorf("sandbox: host side: %w", err)
		}
		if err := linkUp(h.ioctl, sl.link); err != nil {
			return fmt.Errorf("sandbox: host side: %w", err)
		}
		return configureInside(instIP, hostIP)
	})
	if err != nil {
		p.discard(sl)
		return nil, err
	}
	return sl, nil
}

// configureInside addresses and routes eth0 of the calling thread's
// namespace.
func configureInside(inst, gw netip.Addr) error {
	nl, err := openRtnl()
	if err != nil {
		return fmt.Errorf("sandbox: inside: %w", err)
	}
	defer nl.close()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sandbox: inside: %w", err)
	}
	defer unix.Close(fd)
	i, err := ifIndex(fd, "eth0")
	if err == nil {
		err = nl.addAddr(i, inst, 31)
	}
	if err == nil {
		err = linkUp(fd, "eth0")
	}
	if err == nil {
		err = nl.addDefaultRoute(i, gw)
	}
	if err != nil {
		return fmt.Errorf("sandbox: inside: %w", err)
	}
	return nil
}

func isNoDev(err error) bool { return errors.Is(err, unix.ENODEV) }

// discard tears sl down: its listeners, its veth, the namespace (gone with
// its last descriptor and process), its index.
func (p *netPool) discard(sl *netSlot) {
	for _, ln := range []net.Listener{sl.api, sl.endpoint} {
		if ln != nil {
			ln.Close()
		}
	}
	if sl.ns >= 0 {
		if err := p.h.nl.delLink(sl.link); err != nil && !isNoDev(err) {
			p.log.Warn("sandbox: remove an instance's veth", "link", sl.link, "err", err)
		}
		unix.Close(sl.ns)
		sl.ns = -1
	}
	p.h.free(sl.idx)
}

// close stops the keeper, tears down the ready namespaces, waits for the
// teardowns under way and lets go of the host's side.
func (p *netPool) close() error {
	close(p.stop)
	<-p.done
	for {
		select {
		case sl := <-p.ready:
			p.discard(sl)
			continue
		default:
		}
		break
	}
	p.rel.Wait()
	return releaseHostNet(p.h)
}
