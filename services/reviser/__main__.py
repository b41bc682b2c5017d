import asyncio

from services.reviser.main import main

asyncio.run(main().run())
