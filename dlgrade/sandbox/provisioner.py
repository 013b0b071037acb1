"""jupyter_client kernel provisioner of the sandboxed kernelspec.

Named in the kernelspec (``metadata.kernel_provisioner.provisioner_name =
"dlcourse-sandbox"``) and registered under the ``jupyter_client.kernel_provisioners``
entry point, so every client of the kernelspec (plain ``nbgrader autograde`` included)
goes through it. It

- switches the connection to the ``ipc`` transport, with the connection file and sockets in
  a fresh per-kernel folder (the kernel has no network, only its own loopback-less netns);
- refuses to start a kernel when the sandbox is on but cannot be entered (clear message);
- launches the kernel through this process's fork server (fast), or, with
  ``DLCOURSE_FORKSERVER=0``, execs the kernelspec's wrapper like LocalProvisioner.
"""

from __future__ import annotations

import asyncio
import os
import select
import shutil
import signal
import tempfile
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from .. import deadline
from . import forkserver, jail, policy

_PROBE: dict[tuple, str | None] = {}


def sandbox_problem(env=None) -> str | None:
    """None when the sandbox works in this process, else why not (probed once per process
    and mode: root, or rootless for a grader that is not root)."""
    key = (os.getpid(), policy.rootless_mode(env))
    if key not in _PROBE:
        _PROBE[key] = jail.probe(rootless=key[1])
    return _PROBE[key]


def runtime_base() -> str:
    """Parent folder of the per-kernel folders: ``$TMPDIR/dlcourse-kernels-<uid>``."""
    base = os.path.join(tempfile.gettempdir(), f"dlcourse-kernels-{os.geteuid()}")
    os.makedirs(base, mode=0o711, exist_ok=True)
    os.chmod(base, 0o711)  # kernels (other uids) may pass through, not list
    return base


class SandboxProvisioner(LocalProvisioner):
    """LocalProvisioner with ipc transport, sandbox checks and a fork-server fast path."""

    _rundir: str | None = None
    _rundir_mounted: bool = False
    _fork_pid: int | None = None
    _pidfd: int | None = None
    _exit_code: int | None = None
    _server: forkserver.ForkServer | None = None
    _pgid: int | None = None

    # ----------------------------------------------------------------- launch
    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        env = kwargs.get("env") or os.environ
        if policy.enabled(env):
            problem = sandbox_problem(env)
            if problem is not None:
                raise RuntimeError(jail.unavailable_message(problem, policy.rootless_mode(env)))
        km = self.parent
        if km is not None:
            self._rundir = tempfile.mkdtemp(prefix="k-", dir=runtime_base())
            if policy.enabled(env):  # its own small tmpfs, so the kernel cannot fill /tmp
                self._rundir_mounted = jail.runtime_tmpfs(self._rundir)
            km.transport = "ipc"
            km.cache_ports = False
            km.connection_file = os.path.join(self._rundir, "kernel.json")
            km.ip = os.path.join(self._rundir, "ipc")
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = kwargs.get("env") or dict(os.environ)
        use_server = forkserver.enabled(env)
        if policy.enabled(env):
            # Only what the launcher and the kernel need, never the grader's secrets: the
            # exec'd wrapper's environment block and a fork request both end up in processes
            # the kernel descends from or is a copy of (review 21k, findings 1 and 3).
            kwargs["env"] = env = {**policy.launch_env(env),
                                   "DLCOURSE_SANDBOX": env.get("DLCOURSE_SANDBOX", "1")}
        if not use_server:
            info = await super().launch_kernel(cmd, **kwargs)
            self._pgid = self.pid  # jupyter_client starts it in a new session
            deadline.LIVE_KERNELS.add(self._pgid)
            return info
        cwd = os.path.abspath(kwargs.get("cwd") or os.getcwd())
        self._server = forkserver.get_server()
        reply = self._server.request(op="launch", argv=list(cmd[2:]), env=dict(env), cwd=cwd)
        self._fork_pid = self.pid = int(reply["pid"])
        self._pgid = self._fork_pid  # the waiter leads its own session (forkserver._child)
        deadline.LIVE_KERNELS.add(self._pgid)
        self._pidfd = os.pidfd_open(self._fork_pid)
        self._exit_code = None
        self.pgid = None
        self.cwd = cwd
        return self.connection_info

    # ----------------------------------------------------------------- lifecycle
    @property
    def has_process(self) -> bool:
        if self._fork_pid is not None:
            return True
        return super().has_process

    def _reap_if_exited(self, timeout: float = 0.0) -> int | None:
        if self._exit_code is not None or self._pidfd is None:
            return self._exit_code
        ready, _, _ = select.select([self._pidfd], [], [], timeout)
        if ready:
            self._exit_code = self._server.request(op="wait", pid=self._fork_pid)["code"]
            if self._exit_code is None:
                self._exit_code = -1
        return self._exit_code

    async def poll(self) -> int | None:
        if self._fork_pid is None:
            return await super().poll()
        return self._reap_if_exited()

    async def wait(self) -> int | None:
        if self._fork_pid is None:
            return await super().wait()
        while self._reap_if_exited() is None:
            await asyncio.sleep(0.01)
        code = self._exit_code
        self._forget()
        return code

    async def send_signal(self, signum: int) -> None:
        if self._fork_pid is None:
            return await super().send_signal(signum)
        if self._exit_code is None and self._pidfd is not None:
            try:  # the waiter forwards it to the kernel (pid 1 of the sandbox)
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:
                pass

    async def kill(self, restart: bool = False) -> None:
        if self._fork_pid is None:
            return await super().kill(restart=restart)
        await self.send_signal(signal.SIGKILL)
        self._reap_if_exited(timeout=1.0)  # so that the manager's next poll sees it gone

    async def terminate(self, restart: bool = False) -> None:
        if self._fork_pid is None:
            return await super().terminate(restart=restart)
        await self.send_signal(signal.SIGTERM)

    def _forget(self) -> None:
        deadline.LIVE_KERNELS.discard(self._pgid)
        if self._pidfd is not None:
            os.close(self._pidfd)
        if self._fork_pid is not None and self._exit_code is None and self._server is not None:
            try:
                self._server.request(op="release", pid=self._fork_pid)
            except (OSError, RuntimeError):
                pass
        self._pidfd = self._fork_pid = None

    def __del__(self) -> None:
        # A kernel that died is never shut down by nbclient (it is not alive), so its
        # cleanup() is never called: release the pidfd, the zombie and the folder here.
        try:
            self._forget()
            self._remove_rundir()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart:
            self._forget()
            self._remove_rundir()

    def _remove_rundir(self) -> None:
        if not self._rundir:
            return
        if self._rundir_mounted:
            try:
                jail.unmount(self._rundir)
            except jail.SandboxError:
                pass
            self._rundir_mounted = False
        shutil.rmtree(self._rundir, ignore_errors=True)
        self._rundir = None
