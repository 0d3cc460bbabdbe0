package sandbox

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// isolateNetwork runs on the spawning thread: it moves the thread into a
// new network namespace, brings its loopback up and listens there on
// RuntimeAPIAddr. The socket stays usable from any thread of the platform;
// the child, forked from this thread, has no other network.
func isolateNetwork() (net.Listener, error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("sandbox: network namespace: %w", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return nil, fmt.Errorf("sandbox: loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return nil, fmt.Errorf("sandbox: loopback flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return nil, fmt.Errorf("sandbox: loopback up: %w", err)
	}
	ln, err := net.Listen("tcp", RuntimeAPIAddr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: Runtime API listener in the instance's network: %w", err)
	}
	return ln, nil
}
