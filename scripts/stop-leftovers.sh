#!/usr/bin/env bash
# Safety net after the test suite: stop any private server or service a crashed test left
# behind (they are recognisable by their private data folders). Prints what it stopped, so a
# leak is visible rather than silent.
pattern='sqlsynth-(servers|stack|ingest)-|-m services\.(planner|generator|validator|reviser|dedup|sink|ingest|monitor|review)|shared\.runtime\.orphans'
pids=$(pgrep -f -- "$pattern" || true)
[ -z "$pids" ] && exit 0
echo "stop-leftovers: stopping processes a test left running:" >&2
ps -o pid=,args= -p $pids | cut -c1-160 >&2
kill $pids 2>/dev/null
sleep 3
kill -9 $(pgrep -f -- "$pattern") 2>/dev/null
exit 0
