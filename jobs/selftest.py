"""A self-test job: counts to ``n``, rejecting every ``reject_every``-th item."""
import time


def run(ctx, n: int = 10, reject_every: int = 0, sleep: float = 0.0, fail: bool = False):
    ctx.set_total(n)
    for i in range(1, n + 1):
        if reject_every and i % reject_every == 0:
            ctx.reject(f"kirje {i}", "väli", "testiks tagasi lükatud")
        else:
            ctx.count(created=1)
        if sleep:
            time.sleep(sleep)
        ctx.advance()
    if fail:
        raise RuntimeError("self-test failure requested")
