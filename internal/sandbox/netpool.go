package sandbox

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"

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
// Making a namespace and its veth takes milliseconds of kernel time (and
// deleting a veth tens of ms, serialised on the kernel's RTNL lock), so a
// pool keeps Config.WarmSlots of them ready, listeners open: a cold start
// only enters one (setns) on its spawning thread. Once its instance
// closed, a namespace is reset and reused, as the /tmp filesystems are,
// when the instance's cgroup was removed (so no process of it is left
// inside: nothing of it can see the next); the instance, without
// capabilities, could not change its addresses, routes or settings, and
// its sockets died with its processes; the reset replaces the platform's
// two listeners, so that a connection it left unaccepted goes with them.
// The rest are let go: their descriptors closed, the kernel tears the
// namespace and its veth down in its own batches, and the index is free
// again once the veth is gone.

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
	warm  int           // the ready count the keeper keeps up by making new ones
	ready chan *netSlot // up to keepMax·warm, past warm by reuse only
	used  chan *netSlot // to reset and reuse
	want  chan struct{} // cap 1
	stop  chan struct{}
	done  chan struct{}
}

// newNetPool sets up the host's side (once per process), makes one
// namespace to prove the host can, and starts the keeper.
func newNetPool(warm int, log *slog.Logger) (*netPool, error) {
	h, err := acquireHostNet()
	if err != nil {
		return nil, err
	}
	p := &netPool{h: h, log: log, warm: warm, ready: make(chan *netSlot, keepMax*warm), used: make(chan *netSlot, keepMax*warm),
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

// give takes back the namespace of a closed instance: one whose processes
// are known to be gone (reusable) is kept to be reset and reused if the
// pool has room; the rest are let go.
func (p *netPool) give(sl *netSlot, reusable bool) {
	if reusable {
		select {
		case p.used <- sl:
			p.wake()
			return
		default:
		}
	}
	p.discard(sl)
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
		for {
			sl, err := p.next()
			if err != nil {
				p.log.Warn("sandbox: prepare an instance network namespace", "err", err)
				break
			}
			if sl == nil {
				break // enough ready, nothing to reuse
			}
			select {
			case p.ready <- sl:
			default:
				p.discard(sl)
			}
		}
	}
}

// next resets a used namespace, else makes one while fewer than warm are
// ready; nil, nil when there is nothing to do.
func (p *netPool) next() (*netSlot, error) {
	select {
	case sl := <-p.used:
		return p.reset(sl)
	default:
	}
	if len(p.ready) >= p.warm {
		return nil, nil
	}
	return p.make()
}

// make creates a namespace with its listeners and veth, addressed and
// routed.
func (p *netPool) make() (*netSlot, error) {
	h := p.h
	idx, err := h.alloc()
	if err != nil {
		return nil, err
	}
	sl := &netSlot{ns: -1, idx: idx, link: h.link(idx)}
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

// reset replaces sl's listeners with new ones; on failure sl is let go.
func (p *netPool) reset(sl *netSlot) (*netSlot, error) {
	sl.api.Close()
	sl.endpoint.Close()
	sl.api, sl.endpoint = nil, nil
	err := onThrowawayThread(func() error {
		if err := unix.Setns(sl.ns, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("sandbox: enter a used network namespace: %w", err)
		}
		var err error
		sl.api, sl.endpoint, err = listenInside()
		return err
	})
	if err != nil {
		p.discard(sl)
		return nil, err
	}
	return sl, nil
}

// discard lets sl go: its listeners and descriptor closed, the kernel
// removes the namespace, with its veth, once nothing holds it; its index is
// free once the veth is gone (netHost.alloc).
func (p *netPool) discard(sl *netSlot) {
	for _, ln := range []net.Listener{sl.api, sl.endpoint} {
		if ln != nil {
			ln.Close()
		}
	}
	veth := sl.ns >= 0
	if veth {
		unix.Close(sl.ns)
		sl.ns = -1
	}
	p.h.free(sl.idx, veth)
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
		case sl := <-p.used:
			p.discard(sl)
			continue
		default:
		}
		break
	}
	return releaseHostNet(p.h)
}
