package sandbox

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// rtnl is a route netlink socket: the few requests the instances' network
// needs (a veth pair, an address, a default route, a link removed), with
// no library. A socket works in the network namespace it was opened in,
// whichever thread uses it later.
type rtnl struct {
	mu  sync.Mutex
	fd  int
	seq uint32
	buf []byte
}

// openRtnl opens a netlink socket in the calling thread's network
// namespace.
func openRtnl() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &rtnl{fd: fd, buf: make([]byte, 8192)}, nil
}

func (r *rtnl) close() { unix.Close(r.fd) }

// nlmsg builds one netlink request: a fixed header, then attributes.
type nlmsg struct {
	b      []byte
	nested []int // offsets of open nested attributes
}

func newMsg(typ uint16, flags uint16, hdr []byte) *nlmsg {
	m := &nlmsg{b: make([]byte, unix.NLMSG_HDRLEN, 256)}
	binary.NativeEndian.PutUint16(m.b[4:], typ)
	binary.NativeEndian.PutUint16(m.b[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	m.b = append(m.b, hdr...)
	m.align()
	return m
}

func (m *nlmsg) align() {
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

func (m *nlmsg) attr(typ uint16, data []byte) {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(4+len(data)))
	binary.NativeEndian.PutUint16(h[2:], typ)
	m.b = append(append(m.b, h[:]...), data...)
	m.align()
}

func (m *nlmsg) str(typ uint16, s string) { m.attr(typ, append([]byte(s), 0)) }

func (m *nlmsg) u32(typ uint16, v uint32) {
	m.attr(typ, binary.NativeEndian.AppendUint32(nil, v))
}

// begin opens a nested attribute, closed by end.
func (m *nlmsg) begin(typ uint16) {
	m.nested = append(m.nested, len(m.b))
	m.attr(typ, nil)
}

// raw appends bytes inside the open nested attribute (a header).
func (m *nlmsg) raw(b []byte) {
	m.b = append(m.b, b...)
	m.align()
}

func (m *nlmsg) end() {
	off := m.nested[len(m.nested)-1]
	m.nested = m.nested[:len(m.nested)-1]
	binary.NativeEndian.PutUint16(m.b[off:], uint16(len(m.b)-off))
}

// do sends m and waits for its acknowledgement.
func (r *rtnl) do(m *nlmsg) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	binary.NativeEndian.PutUint32(m.b[0:], uint32(len(m.b)))
	binary.NativeEndian.PutUint32(m.b[8:], r.seq)
	if err := unix.Sendto(r.fd, m.b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if err != nil {
			return err
		}
		for b := r.buf[:n]; len(b) >= unix.NLMSG_HDRLEN; {
			l := int(binary.NativeEndian.Uint32(b[0:]))
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				break
			}
			typ := binary.NativeEndian.Uint16(b[4:])
			seq := binary.NativeEndian.Uint32(b[8:])
			if typ == unix.NLMSG_ERROR && seq == r.seq && l >= unix.NLMSG_HDRLEN+4 {
				if e := int32(binary.NativeEndian.Uint32(b[unix.NLMSG_HDRLEN:])); e != 0 {
					return unix.Errno(-e)
				}
				return nil
			}
			b = b[(l+3)&^3:]
		}
	}
}

// ifinfomsg is struct ifinfomsg: family, type, index, flags, change.
func ifinfomsg(index int32, flags uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	binary.NativeEndian.PutUint32(b[8:], flags)
	binary.NativeEndian.PutUint32(b[12:], flags) // change what is set
	return b
}

// vethPeer is VETH_INFO_PEER.
const vethPeer = 1

// addVeth creates a veth pair, both ends down (a veth cannot come up
// before its peer exists): host in r's namespace, peer in the namespace
// nsFD refers to.
func (r *rtnl) addVeth(host, peer string, nsFD int) error {
	m := newMsg(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, ifinfomsg(0, 0))
	m.str(unix.IFLA_IFNAME, host)
	m.begin(unix.IFLA_LINKINFO)
	m.str(unix.IFLA_INFO_KIND, "veth")
	m.begin(unix.IFLA_INFO_DATA)
	m.begin(vethPeer)
	m.raw(ifinfomsg(0, 0))
	m.str(unix.IFLA_IFNAME, peer)
	m.u32(unix.IFLA_NET_NS_FD, uint32(nsFD))
	m.end()
	m.end()
	m.end()
	if err := r.do(m); err != nil {
		return fmt.Errorf("create veth %s: %w", host, err)
	}
	return nil
}

// delLink removes the link named name (for a veth, both ends).
func (r *rtnl) delLink(name string) error {
	m := newMsg(unix.RTM_DELLINK, 0, ifinfomsg(0, 0))
	m.str(unix.IFLA_IFNAME, name)
	if err := r.do(m); err != nil {
		return fmt.Errorf("delete link %s: %w", name, err)
	}
	return nil
}

// addAddr gives the link index the IPv4 address a/bits.
func (r *rtnl) addAddr(index int, a netip.Addr, bits int) error {
	h := make([]byte, unix.SizeofIfAddrmsg)
	h[0], h[1] = unix.AF_INET, byte(bits)
	binary.NativeEndian.PutUint32(h[4:], uint32(index))
	m := newMsg(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, h)
	ip := a.As4()
	m.attr(unix.IFA_LOCAL, ip[:])
	m.attr(unix.IFA_ADDRESS, ip[:])
	if err := r.do(m); err != nil {
		return fmt.Errorf("address %s on link %d: %w", a, index, err)
	}
	return nil
}

// addDefaultRoute routes everything through gw on link index.
func (r *rtnl) addDefaultRoute(index int, gw netip.Addr) error {
	h := make([]byte, unix.SizeofRtMsg)
	h[0] = unix.AF_INET
	h[4] = unix.RT_TABLE_MAIN
	h[5] = unix.RTPROT_BOOT
	h[6] = unix.RT_SCOPE_UNIVERSE
	h[7] = unix.RTN_UNICAST
	m := newMsg(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, h)
	ip := gw.As4()
	m.attr(unix.RTA_GATEWAY, ip[:])
	m.u32(unix.RTA_OIF, uint32(index))
	if err := r.do(m); err != nil {
		return fmt.Errorf("default route via %s: %w", gw, err)
	}
	return nil
}

// ifIndex is the index of the link named name in the namespace of the
// socket fd (any AF_INET socket).
func ifIndex(fd int, name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("index of %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

// linkUp brings up the link named name in the namespace of the socket fd
// (any AF_INET socket).
func linkUp(fd int, name string) error {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("flags of %s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	return nil
}
