"""SQLite databases with rows and the Spider dev seeds on them, for a `--values-from` run.

    python bench/seeded_values/build_sqlite_db.py OUT_DIR
    sqlsynth run --count 30 --engines sqlite,postgres,mysql --seeds OUT_DIR/seeds.json \
        --values-from OUT_DIR/db --out RUN

Two Spider dev schemas from `tables.json`, rendered as Spider's own SQLite files declare them:
concert_singer (the rows of `tests/ingest/test_value_source.py`, three singers' full names among
them, which the scrub must keep out of the run) and dog_kennels (text keys: breed codes 'ESK',
'HUS', 'BUL', size codes, treatment type codes; yes/no flags and numbers kept as text). The
rows are a small hand-made sample in the shape of Spider's databases, not Spider's data (Spider
ships no rows in `../shared/data`). `seeds.json` holds Spider dev's questions on the two.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from shared.datasets.spider import render_spider_ddl

SPIDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "spider"
ROWS: dict[str, dict[str, list[tuple[object, ...]]]] = {
    "concert_singer": {
        "stadium": [
            (1, "Raith Rovers", "Stark's Park", 10104, 4812, 1294, 2106),
            (2, "Ayr United", "Somerset Park", 11998, 2363, 1057, 1477),
            (3, "East Fife", "Bayview Stadium", 2000, 1980, 533, 864),
            (4, "Queen's Park", "Hampden Park", 52500, 1763, 466, 730),
            (5, "Stirling Albion", "Forthbank Stadium", 3808, 1125, 404, 642),
        ],
        "singer": [
            (1, "Joe Sharp", "Netherlands", "You", "1992", 52, "F"),
            (2, "Timbaland", "United States", "Dangerous", "2008", 32, "T"),
            (3, "Justin Brown", "France", "Hey Oh", "2013", 29, "T"),
            (4, "Rose White", "France", "Sun", "2003", 41, "F"),
            (5, "John Nizinik", "France", "Gentleman", "2014", 43, "T"),
            (6, "Tribal King", "France", "Love", "2016", 25, "T"),
        ],
        "concert": [
            (1, "Auditions", "Free choice", "1", "2014"),
            (2, "Super bootcamp", "Free choice 2", "2", "2014"),
            (3, "Home Visits", "Bleeding Love", "2", "2015"),
            (4, "Week 1", "Wide Awake", "10", "2014"),
            (5, "Week 1", "Happy Tonight", "9", "2015"),
        ],
    },
    "dog_kennels": {
        "Breeds": [("ESK", "Eskimo"), ("HUS", "Husky"), ("BUL", "Bulldog")],
        "Charges": [(1, "Daily Accommodation", 98), (2, "Drugs", 322), (3, "Health Check", 640)],
        "Sizes": [("SML", "Small"), ("MED", "Medium"), ("LGE", "Large")],
        "Treatment_Types": [
            ("EXAM", "Physical examination"),
            ("VAC", "Vaccination"),
            ("WALK", "Take for a Walk"),
        ],
        "Owners": [
            (
                1,
                "Nora",
                "Haley",
                "0647 Hintz Village Apt. 024",
                "Lake Tia",
                "Wisconsin",
                "93165",
                "lynn81@example.org",
                "1-682-845-0116x63235",
                "478.978.0729",
            ),
            (
                2,
                "Melisa",
                "DuBuque",
                "1204 Mae Highway Apt. 107",
                "Port Reannamouth",
                "Virginia",
                "45244",
                "ykris@example.com",
                "(799)563-0260x454",
                "(722)768-5439x484",
            ),
            (
                3,
                "Jaclyn",
                "Stoltenberg",
                "2635 Caitlyn Plains",
                "Barrettburgh",
                "Vermont",
                "02647",
                "hudson.favian@example.com",
                "916.976.9480x13851",
                "481-483-9083x37986",
            ),
        ],
        "Dogs": [
            (
                1,
                3,
                "1",
                "ESK",
                "LGE",
                "Kacey",
                "6",
                "2012-01-27 05:11:53",
                "1",
                "7.57",
                "2017-09-08 20:10:13",
                "2018-03-06 16:32:11",
                "2018-03-25 06:58:44",
            ),
            (
                2,
                1,
                "0",
                "BUL",
                "LGE",
                "Hipolito",
                "9",
                "2013-02-13 05:15:21",
                "0",
                "1.72",
                "2017-12-22 05:02:02",
                "2018-03-25 08:12:51",
                "2018-03-25 02:11:32",
            ),
            (
                3,
                2,
                "0",
                "BUL",
                "MED",
                "Mavis",
                "8",
                "2008-05-19 15:54:49",
                "1",
                "8.04",
                "2017-06-25 10:14:05",
                "2018-03-07 21:45:43",
                "2018-03-25 10:25:46",
            ),
            (
                4,
                1,
                "0",
                "HUS",
                "SML",
                "Houston",
                "5",
                "2008-10-09 22:38:53",
                "0",
                "2.18",
                "2017-04-20 00:58:55",
                "2018-03-18 15:12:50",
                "2018-03-24 19:12:22",
            ),
        ],
        "Professionals": [
            (
                1,
                "Employee",
                "Taryn",
                "6915 Oberbrunner Point Suite 491",
                "West Heidi",
                "Indiana",
                "06646",
                "Braun",
                "deanna.schuster@example.com",
                "+71(6)2898266914",
                "(275)939-2435x80863",
            ),
            (
                2,
                "Employee",
                "Jayson",
                "88665 Terence Lodge Apt. 904",
                "North Odellfurt",
                "Connecticut",
                "43129",
                "Ullrich",
                "lucile.shanahan@example.org",
                "+02(1)0259033559",
                "889-940-2676",
            ),
        ],
        "Treatments": [
            (1, 1, 1, "WALK", "2018-03-19 04:39:54", 567),
            (2, 2, 2, "VAC", "2018-03-15 20:25:34", 147),
            (3, 3, 1, "EXAM", "2018-03-08 05:26:23", 429),
        ],
    },
}


def build(out: Path) -> None:
    tables = {t["db_id"]: t for t in json.loads((SPIDER / "tables.json").read_text())}
    for db, rows in ROWS.items():
        path = out / "db" / db / f"{db}.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        conn = sqlite3.connect(path)
        conn.executescript(render_spider_ddl(tables[db]))
        for table, values in rows.items():
            marks = ", ".join("?" for _ in values[0])
            conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', values)
        conn.commit()
        conn.close()
    dev = json.loads((SPIDER / "dev.json").read_text())
    seeds = [s for s in dev if s["db_id"] in ROWS]
    (out / "seeds.json").write_text(json.dumps(seeds))
    # Spider's loader reads tables.json beside the seeds file.
    (out / "tables.json").write_text(json.dumps([tables[db] for db in ROWS]))
    print(f"{len(seeds)} seeds on {', '.join(ROWS)}; databases in {out / 'db'}")


if __name__ == "__main__":
    build(Path(sys.argv[1]))
