"""Run code in a fresh kernel of the sandboxed kernelspec (for tests and diagnostics)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .kernelspec import KERNEL_NAME, install_kernelspec


@dataclass
class Run:
    """What one kernel did: its text output, the reply status, whether it died."""

    stdout: str
    status: str
    error: str
    died: bool
    stderr: str = ""


def run_code(code: str, cwd: str | None = None, env: dict | None = None,
             timeout: float = 60) -> Run:
    """Start a fresh sandboxed kernel in ``cwd``, run ``code``, kill the kernel.

    ``env`` entries are set in the grader's environment for this launch only (e.g.
    ``DLCOURSE_SANDBOX_CPU``), exactly as a grader would set them.
    """
    install_kernelspec()
    run = _run(code, cwd or os.getcwd(), env or {}, timeout)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        return asyncio.run(run)
    # Called from inside a running loop (e.g. Playwright's sync API in the same process):
    # asyncio.run refuses, so the kernel is driven from a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run).result()


async def _run(code, cwd, env, timeout) -> Run:
    from jupyter_client.manager import AsyncKernelManager

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME)
    km.client_class = "dlgrade.sandbox.client.SandboxKernelClient"
    out, err, errors = [], [], []
    status, died = "ok", False
    try:
        await km.start_kernel(cwd=cwd)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)

            def hook(msg):
                content = msg["content"]
                if msg["msg_type"] == "stream":
                    (err if content.get("name") == "stderr" else out).append(content["text"])
                elif msg["msg_type"] == "error":
                    errors.append(f"{content['ename']}: {content['evalue']}")

            try:
                reply = await kc.execute_interactive(code, timeout=timeout, output_hook=hook)
                status = reply["content"]["status"]
            except TimeoutError:
                status = "timeout"
            died = not await km.is_alive()
        finally:
            kc.stop_channels()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
    return Run("".join(out), status, "\n".join(errors), died, "".join(err))
