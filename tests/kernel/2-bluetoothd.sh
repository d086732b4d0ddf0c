#!/bin/sh
# 2: the raw socket (--hci hci0) beside bluetoothd while it discovers, then
# while it advertises: provisioning and configuration succeed or the error
# says why; afterwards the event masks are the kernel's and bluetoothd
# still discovers.
. "$(dirname "$0")/lib.sh"
beside_bluetoothd 2 hci0
finish
