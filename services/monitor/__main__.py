import asyncio

from services.monitor.main import main

asyncio.run(main())
