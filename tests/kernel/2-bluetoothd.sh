#!/bin/sh
# 2: the raw socket (--hci hci0) beside bluetoothd while it discovers, then
# while it advertises. While it discovers, the kernel's scan makes the
# controller refuse meshprov's (Command Disallowed): meshprov says so and
# switches to hci0:mesh for the run, and provisioning and configuration
# succeed. While it advertises they succeed or the error says why.
# Afterwards the event masks are the kernel's and bluetoothd still
# discovers.
. "$(dirname "$0")/lib.sh"
beside_bluetoothd 2 hci0 must-discovering
err=$LOG/provision-discovering.err
check 2 "while bluetoothd discovers, hci0 says it switches to hci0:mesh, and why" \
	"stderr: $(cat "$err" 2>/dev/null)" \
	sh -c "grep 'the kernel is scanning' '$err' | grep -q 'using hci0:mesh'"
check 2 "the switch is one line" "stderr: $(cat "$err" 2>/dev/null)" \
	[ "$(grep -c 'hci0:mesh' "$err")" -eq 1 ]
finish
