import asyncio

from services.validator.main import main

asyncio.run(main().run())
