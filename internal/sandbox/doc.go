// Package sandbox contains a function instance's process: cgroup limits,
// namespaces, a private disk-backed /tmp, a read-only view of its code at
// /var/task, an unprivileged user and rlimits. It degrades on hosts that
// lack a feature and says so in one warning (Report).
//
// # How a process enters its sandbox before user code runs
//
// Go's os/exec offers no hook between fork and exec, and a re-exec shim
// would cost an extra exec of the platform binary per cold start. Instead
// Start prepares a fresh OS thread and forks the child from it:
//
//  1. A goroutine locks itself to its OS thread and never unlocks, so the
//     thread exits with the goroutine and its altered state dies with it
//     (never the main thread, which cannot exit: see onThrowawayThread).
//  2. On cgroup v1 the thread moves itself (its tid, into each
//     controller's "tasks" file) into a fresh cgroup; a child is born in
//     its parent thread's cgroups. That move waits for an RCU grace period
//     (5–10 ms in a busy platform), so a pool of slots (slot.go) keeps a few
//     fresh cgroups, each with a parked thread already inside, and the cold
//     start only writes the limits. On cgroup v2 the child is cloned
//     straight into the cgroup with SysProcAttr.UseCgroupFD.
//  3. The thread unshares mount, UTS, IPC and PID namespaces and builds the
//     instance's mount view in its private mount namespace: a copy of the
//     minimal root's template (rootfs.go, roottemplate.go: a read-only
//     tmpfs with the host's /usr and a few /etc files and dirs bound or
//     copied in, /dev basics; built once by New as a mount namespace of
//     its own, which the thread joins with setns before it unshares), with
//     the instance's own passwd and group bound in; or, where New could
//     not build one (Warnings says so), the host's / read-only and nosuid
//     with an empty tmpfs over each hidden dir (the platform's data dir);
//     in it, its own ext4 on /tmp (scratch.go: a ready one from a pool, moved
//     into place), a size-capped tmpfs on /dev/shm, a /proc that shows only
//     the instance's own processes, and the code and runtime dirs bound
//     back read-only at /var/task and /var/runtime, where Lambda has them
//     (Spec.Code, Spec.Runtime; empty mount points the sandbox creates on
//     the host).
//     With Spec.NoNetwork it also enters a new network namespace, brings
//     its loopback up and listens there on 127.0.0.1:9001 and :9002: the
//     platform serves the Runtime API on the one and forwards the other to
//     its endpoint, the instance reaches nothing else. Otherwise, by
//     default, it enters a ready network namespace from a pool (setns;
//     netpool.go), with the same two listeners and a veth to the host,
//     which NATs it to the outside world and drops what it sends to the
//     host itself or to another instance (nethost.go: nftables). Where the
//     host cannot (no nft, no veth, not root), instances keep the host's
//     network and Warnings says so; Config.HostNetwork chooses that.
//  4. It sets no_new_privs and empties its capability bounding set.
//  5. It calls cmd.Start: clone inherits all of the above; the child sets
//     its unprivileged uid/gid (one per instance from a range, so instances
//     cannot signal, ptrace or read each other's /proc) and execs. The child
//     is pid 1 of its own PID namespace: when it dies, the kernel kills
//     everything it started.
//
// Because the forking thread exits, SysProcAttr.Pdeathsig (which fires when
// the forking *thread* exits) cannot be used; the instance notices a dead
// platform through its Runtime API connection, and New removes cgroups left
// by a platform process that no longer exists.
//
// A stem instance (Spec.Stem) starts before its function is known: its task
// root, /var/task, is an empty mount that receives the code later, through
// mount propagation from the platform's side (Box.Attach; see stem.go).
//
// /tmp is Lambda's ephemeral storage, apart from memory: an ext4 of the
// size asked for (Spec.TmpMB) on a loop device over a sparse, unnamed file
// in Config.ScratchDir. A write past its size fails with ENOSPC; its files
// are on disk, so the memory cgroup holds only their page cache, which the
// kernel reclaims (a 128 MB instance writes 200 MB there). Filesystems are
// made ahead and reused, emptied, after their instance closed (scratch.go),
// so a cold start only moves one onto /tmp. Without a scratch dir, loop
// devices or mkfs.ext4, /tmp is a size-capped tmpfs as before, whose files
// count against the instance's memory, and Warnings says so.
//
// Rlimits are process-wide in Linux and cannot be set on one thread; the
// spawning thread sets them on the child with prlimit right after exec,
// having taken the child's uid (credentials are per thread to the kernel),
// since the platform may lack CAP_SYS_RESOURCE.
//
// Known limits: host detection is tested on pure-v2 and hybrid layouts
// built in a mount namespace (host_test.go), but the v2 limit path
// (UseCgroupFD, cgroup.kill, memory.peak) has not run on a pure-v2 host: on
// this one the controllers are bound to v1. The page cache of /tmp's files
// still counts against the instance's memory while it lasts, as any file's
// does; the kernel writes it back and reclaims it under the limit.
//
// The CPU share is weighted by memory (cpu.shares / cpu.weight: 1024 per
// 128 MB, so the smallest function weighs what the platform does), so busy
// neighbours get CPU in proportion to their size; the hard quota is whole
// vCPUs (one per started 1769 MB), so a small function does not run 14×
// slower than on an idle host. (A Lambda-like fraction, 7% of a vCPU at
// 128 MB, throttled a busy small function into 80 ms stalls.) Weights do
// not bound latency, though: a woken task may wait out a scheduler slice
// behind a spinning one of equal standing, which made a quiet function's
// warm p99 4× its idle value beside a spinning neighbour on 2 CPUs. So an
// invocation that, from its 50th ms on, keeps a CPU at least half busy over
// a 50 ms window (its processes' CPU time, children included) goes to the
// background (Box.Background: cpu.idle, the kernel's SCHED_IDLE for the
// group), where anything else that wakes preempts it at once, until it
// returns; the process runtime decides (it knows when a call ends). Short
// calls keep their latency (within 2× beside a spinner: test S7); a long
// one still runs at full speed on CPU nobody else wants, but on a
// saturated host it gets only what short calls leave, its timeout bounding
// the wait.
//
// A platform killed with SIGKILL leaves, until it starts again, the stem
// dir's bind and the code mounts under it, its cgroups with any instance
// still running in them, and loop devices over the scratch dir held by
// those instances' /tmp. New removes all three (sweepStale kills and removes the
// cgroups first, so that the loop devices' last users are gone; then the
// scratch pool's sweep and setupStemRoot); e2e's TestSIGKILLLeavesNothing
// checks that nothing is left after the next start and a graceful stop.
//
// Teardown kills the PID namespace's init (the kernel then kills the rest),
// then every task still listed in the cgroup, then removes the cgroup.
package sandbox
