/* meshprov: Bluetooth Mesh provisioner. Global options and command dispatch. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adv.h"
#include "cli.h"
#include "ctl.h"
#include "log.h"
#include "transport.h"
#include "util.h"

#ifndef MESHPROV_VERSION
#define MESHPROV_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: meshprov [OPTIONS] COMMAND [COMMAND OPTIONS]\n"
		"\n"
		"A Bluetooth Mesh provisioner that talks to a controller over HCI.\n"
		"\n"
		"Options:\n"
		"  -i, --hci SPEC   controller to use (default $MESHPROV_HCI, else hci0:mesh\n"
		"                   where the kernel's mesh interface works, else hci0):\n"
		"                     hciN            BlueZ raw HCI socket, shared with the kernel;\n"
		"                                     switches to hciN:mesh when the kernel's\n"
		"                                     scanning refuses meshprov's\n"
		"                     hciN:user       HCI user channel, exclusive (controller down)\n"
		"                     hciN:mesh       the kernel's mesh interface (management API,\n"
		"                                     Linux >= 6.0), shared with bluetoothd\n"
		"                     unix:PATH       H4 over a Unix socket (btvirt, the virtual air)\n"
		"                     tty:PATH[:BAUD] H4 over a UART with RTS/CTS (default 1000000)\n"
		"  -d, --db PATH    node database (default " DEFAULT_DB_PATH ",\n"
		"                   or $MESHPROV_DB)\n"
		"      --adv-interval MS  interval between transmissions of a mesh PDU\n"
		"                   (default 20, at least 20)\n"
		"      --adv-count N    transmissions of each mesh PDU (default 3)\n"
		"      --adv-pack       put a second small mesh PDU (a Transaction ACK) into\n"
		"                       an advertisement when it fits (hciN, unix:, tty:;\n"
		"                       receivers must read every AD structure)\n"
		"      --control PATH   daemon control socket (default " CTL_DEFAULT_PATH ", or\n"
		"                       $MESHPROV_CONTROL); scan, provision, config and nodes go\n"
		"                       through the daemon when it answers there\n"
		"      --no-daemon      use the controller and database directly, even when a\n"
		"                       daemon answers\n"
		"      --btsnoop FILE   write all HCI traffic to FILE in BTSnoop format (btmon -r,\n"
		"                       Wireshark)\n"
		"  -v, --verbose    more messages on stderr (twice for debug)\n"
		"  -h, --help       show this help\n"
		"  -V, --version    show the version\n"
		"\n"
		"Commands:\n"
		"  scan             list unprovisioned devices (meshprov scan --help)\n"
		"  provision        provision a device over PB-ADV (meshprov provision --help)\n"
		"  nodes            list, remove or check the nodes (meshprov nodes --help)\n"
		"  config           configure a node (meshprov config --help)\n"
		"  daemon           run as a service (meshprov daemon --help)\n"
		"\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hci", required_argument, NULL, 'i' },
		{ "db", required_argument, NULL, 'd' },
		{ "adv-interval", required_argument, NULL, 'I' },
		{ "adv-count", required_argument, NULL, 'C' },
		{ "adv-pack", no_argument, NULL, 'P' },
		{ "control", required_argument, NULL, 'S' },
		{ "no-daemon", no_argument, NULL, 'N' },
		{ "btsnoop", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct global_opts g = {
		.hci = getenv("MESHPROV_HCI"),
		.db = getenv("MESHPROV_DB"),
		.control = getenv("MESHPROV_CONTROL"),
		.adv_interval_ms = ADV_DEFAULT_INTERVAL_MS,
		.adv_count = ADV_DEFAULT_COUNT,
	};
	unsigned long v;
	const char *cmd;
	int c;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+i:d:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			g.hci = optarg;
			break;
		case 'd':
			g.db = optarg;
			break;
		case 'S':
			g.control = optarg;
			break;
		case 'N':
			g.no_daemon = true;
			break;
		case 'B':
			g.btsnoop = optarg;
			break;
		case 'I':
			if (parse_uint(optarg, 10240, &v) < 0 || v < 20) {
				fprintf(stderr, "meshprov: --adv-interval needs 20-10240 ms\n");
				return EXIT_USAGE;
			}
			g.adv_interval_ms = (unsigned)v;
			g.adv_set = true;
			break;
		case 'C':
			if (parse_uint(optarg, 20, &v) < 0 || v < 1) {
				fprintf(stderr, "meshprov: --adv-count needs 1-20\n");
				return EXIT_USAGE;
			}
			g.adv_count = (unsigned)v;
			g.adv_set = true;
			break;
		case 'P':
			g.adv_pack = true;
			break;
		case 'v':
			g.verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("meshprov %s\n", MESHPROV_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	g.hci_set = g.hci && *g.hci;
	g.db_set = g.db && *g.db;
	g.control_set = g.control && *g.control;
	if (!g.hci_set)
		g.hci = TRANSPORT_DEFAULT;
	if (!g.db_set)
		g.db = DEFAULT_DB_PATH;
	if (!g.control_set)
		g.control = CTL_DEFAULT_PATH;
	log_set_level(g.verbosity >= 2 ? LOG_LVL_DEBUG : g.verbosity == 1 ? LOG_LVL_INFO : LOG_LVL_WARN);
	if (optind >= argc) {
		fprintf(stderr, "meshprov: no command given\n\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* let the command parse its own options */
	if (!strcmp(cmd, "scan"))
		return cmd_scan(&g, argc, argv);
	if (!strcmp(cmd, "provision"))
		return cmd_provision(&g, argc, argv);
	if (!strcmp(cmd, "nodes"))
		return cmd_nodes(&g, argc, argv);
	if (!strcmp(cmd, "config"))
		return cmd_config(&g, argc, argv);
	if (!strcmp(cmd, "daemon"))
		return cmd_daemon(&g, argc, argv);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "meshprov: unknown command '%s' (see meshprov --help)\n", cmd);
	return EXIT_USAGE;
}
