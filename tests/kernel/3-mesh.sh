#!/bin/sh
# 3: the kernel's mgmt mesh interface (--hci hci0:mesh) beside bluetoothd
# while it discovers and advertises: as scenario 2, through the kernel, and
# here provisioning and configuration must succeed.
. "$(dirname "$0")/lib.sh"
beside_bluetoothd 3 hci0:mesh must
finish
