package sandbox

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// isolateNetwork runs on the spawning thread: it moves the thread into a
// new network namespace, brings its loopback up and listens there on
// RuntimeAPIAddr and EndpointAddr. The sockets stay usable from any thread
// of the platform; the child, forked from this thread, has no other
// network.
func isolateNetwork() (api, endpoint net.Listener, err error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, nil, fmt.Errorf("sandbox: network namespace: %w", err)
	}
	if err := loopbackUp(); err != nil {
		return nil, nil, err
	}
	return listenInside()
}

// listenInside listens on RuntimeAPIAddr and EndpointAddr in the thread's
// network namespace.
func listenInside() (api, endpoint net.Listener, err error) {
	api, err = net.Listen("tcp", RuntimeAPIAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: Runtime API listener in the instance's network: %w", err)
	}
	endpoint, err = net.Listen("tcp", EndpointAddr)
	if err != nil {
		api.Close()
		return nil, nil, fmt.Errorf("sandbox: platform endpoint listener in the instance's network: %w", err)
	}
	return api, endpoint, nil
}

// loopbackUp brings up the loopback interface of the thread's network
// namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sandbox: loopback: %w", err)
	}
	defer unix.Close(fd)
	if err := linkUp(fd, "lo"); err != nil {
		return fmt.Errorf("sandbox: loopback: %w", err)
	}
	return nil
}
