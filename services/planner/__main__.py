import asyncio

from services.planner.main import main

asyncio.run(main().run())
