import asyncio

from services.sink.main import main

asyncio.run(main().run())
