#!/bin/sh
# 5: the raw socket on a controller that is down, and on one that does not
# exist: exit 1 at once (well before --timeout and --wait) with an error
# naming the cause; the down controller is left down. Without --hci the
# same (meshprov takes hci0: the mesh interface needs a powered controller).
. "$(dirname "$0")/lib.sh"

air_start || { notok "5 the air: no hci0 from btvirt -l1 -s"; finish; }
device_start || { notok "5 the device: vair did not connect to btvirt"; finish; }
hciconfig hci0 down

for cmd in scan provision; do
	case $cmd in
	scan) set -- scan --timeout 30 ;;
	provision) set -- --db "$DB" provision --uuid "$AG_UUID" --pid "$AG_PID" \
		--secret "$AG_SECRET" --wait 30 --timeout 60 ;;
	esac
	RUN=down-$cmd mp --hci hci0 "$@"
	check 5 "$cmd on a down hci0: exit 1" "exit $rc" [ "$rc" -eq 1 ]
	check 5 "$cmd on a down hci0: at once" "took ${secs}s (its --timeout: 30 s for scan, 60 s for provision)" [ "$secs" -le 5 ]
	check 5 "$cmd on a down hci0: the error says it is down" "stderr: $(cat "$LOG/down-$cmd.err")" \
		sh -c "grep -q hci0 '$LOG/down-$cmd.err' && grep -qi down '$LOG/down-$cmd.err'"

	RUN=missing-$cmd mp --hci hci7 "$@"
	check 5 "$cmd on a missing hci7: exit 1" "exit $rc" [ "$rc" -eq 1 ]
	check 5 "$cmd on a missing hci7: at once" "took ${secs}s (its --timeout: 30 s for scan, 60 s for provision)" [ "$secs" -le 5 ]
	check 5 "$cmd on a missing hci7: the error names it" "stderr: $(cat "$LOG/missing-$cmd.err")" \
		sh -c "grep -q hci7 '$LOG/missing-$cmd.err' && grep -qi 'no such' '$LOG/missing-$cmd.err'"
done
# without --hci: hci0:mesh cannot work on a controller that is off, so the
# raw hci0, which says at once that it is down
RUN=down-default mp -v scan --timeout 30
check 5 "without --hci on a down hci0: hci0, saying why at -v" "stderr: $(cat "$LOG/down-default.err")" \
	grep -q 'no --hci given: hci0, as the controller is powered off' "$LOG/down-default.err"
check 5 "without --hci on a down hci0: exit 1 at once, the error says it is down" \
	"exit $rc in ${secs}s; stderr: $(cat "$LOG/down-default.err")" \
	sh -c "[ $rc -eq 1 ] && [ $secs -le 5 ] && grep -q 'hci0 is down' '$LOG/down-default.err'"
hciconfig hci0 >"$LOG/hciconfig.after" 2>&1
check 5 "hci0 is left down" "$(cat "$LOG/hciconfig.after")" grep -q DOWN "$LOG/hciconfig.after"
finish
