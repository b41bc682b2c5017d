import asyncio

from services.generator.main import main

asyncio.run(main().run())
