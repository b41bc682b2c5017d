import asyncio

from services.dedup.main import main

asyncio.run(main().run())
