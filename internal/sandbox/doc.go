// Package sandbox contains a function instance's process: cgroup limits,
// namespaces, a private /tmp, a read-only view of its code, an unprivileged
// user and rlimits. It degrades on hosts that lack a feature and says so in
// one warning (Report).
//
// # How a process enters its sandbox before user code runs
//
// Go's os/exec offers no hook between fork and exec, and a re-exec shim
// would cost an extra exec of the platform binary per cold start. Instead
// Start prepares a fresh OS thread and forks the child from it:
//
//  1. A goroutine locks itself to its OS thread and never unlocks, so the
//     thread exits with the goroutine and its altered state dies with it.
//  2. On cgroup v1 the thread moves itself (its tid, into each
//     controller's "tasks" file) into the instance's cgroup; a child is born
//     in its parent thread's cgroups. On cgroup v2 the child is cloned
//     straight into the cgroup with SysProcAttr.UseCgroupFD.
//  3. The thread unshares mount, UTS, IPC and PID namespaces and builds the
//     instance's mount view in its private mount namespace: / read-only and
//     nosuid, an empty tmpfs over each hidden dir (the platform's data dir),
//     a size-capped tmpfs on /tmp and /dev/shm, a /proc that shows only the
//     instance's own processes, and the code and runtime dirs bound back
//     read-only at their own paths.
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
// Rlimits are process-wide in Linux and cannot be set on one thread; they
// are set on the child with prlimit right after exec, before it could have
// opened many files.
//
// The CPU share is weighted by memory (cpu.shares / cpu.weight: 1024 at
// 1769 MB, Lambda's one vCPU), so a busy neighbour gets CPU in proportion
// to its size; the hard quota is whole vCPUs (one per started 1769 MB), so
// a small function does not run 14× slower than on an idle host.
//
// Teardown kills the PID namespace's init (the kernel then kills the rest),
// then every task still listed in the cgroup, then removes the cgroup.
package sandbox
