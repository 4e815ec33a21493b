"""A platform simulator for sync tests and trials: Taobao/Tmall (TOP), Pinduoduo, JD and Douyin open APIs served
over HTTP on 127.0.0.1 from the demo generator's own order book, speaking each protocol as
platform_sync/protocols/*.yaml describes it, with a controllable clock and injectable faults.

    with running_simulator(shops=10, days=3) as sim:
        request = signed_request(sim.protocol("taobao"), api, params, ..., now=sim.clock.now)
"""

from .server import running_simulator
from .simulator import Simulator
from .state import Credentials

__all__ = ["Credentials", "Simulator", "running_simulator"]
