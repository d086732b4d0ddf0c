/* vair: a virtual Bluetooth LE air for testing meshprov without Bluetooth.
 * See usage() below. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "air.h"
#include "simdev.h"
#include "util.h"

#define MAX_DEVICES 128
#define SHUTDOWN_GUARD_S ((RADIO_STOP_TIMEOUT_MS + 2000) / 1000.0)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vair --socket PATH [options] [--device SPEC]...\n"
		"       vair --connect unix:PATH [options] --device SPEC...\n"
		"\n"
		"A virtual Bluetooth LE air. With --socket it serves H4 on a Unix stream\n"
		"socket, one emulated LE controller per connection, all on one air: what a\n"
		"controller advertises is reported to every controller that is scanning.\n"
		"Simulated devices beacon as unprovisioned mesh devices on that air. With\n"
		"--connect there is no air: the devices connect to another H4 server\n"
		"(e.g. BlueZ btvirt -s at /tmp/bt-server-le) as its clients.\n"
		"\n"
		"  --socket PATH          serve H4 here (a stale socket is replaced)\n"
		"  --connect SPEC         devices connect to this transport instead\n"
		"  --device SPEC          a simulated device (repeatable):\n"
		"        aligenie:PID,MAC,SECRET[,silent][,random-auth][,v0][,elements=N][,comp=K]\n"
		"            [,deaf=MS][,fail-at=STEP:CODE][,close-at=STEP:REASON]\n"
		"            [,complete-delay=MS]\n"
		"            AliGenie UUID (v0: UUID version 0, else 1); provisioning:\n"
		"            static OOB with the AliGenie AuthValue (random-auth: the\n"
		"            random-bound variant), CMAC; composition K light (default)\n"
		"            or plain, CID 0x01a8, PID from the ProductID, vendor model\n"
		"        uuid:HEX32[,oob=N][,uri=HEX8][,no-oob][,static=HEX][,algs=N]\n"
		"             [,output=numeric:VALUE|output=alpha:VALUE][,elements=N][,pubkey-oob]\n"
		"             [,comp=K][,deaf=MS][,fail-at=STEP:CODE][,close-at=STEP:REASON]\n"
		"             [,complete-delay=MS]\n"
		"            a plain device: OOB Information N, URI hash; provisioning:\n"
		"            no OOB (default), static OOB (16 or 32 octets), algorithms\n"
		"            bitmask (default 0x0001; 0x0003 adds HMAC-SHA256), output\n"
		"            OOB showing VALUE, N elements (default 1, at most 32), an\n"
		"            OOB public key (announced in the report); composition K\n"
		"            plain (default: Configuration Server, Generic OnOff Server)\n"
		"            or light (and Light Lightness, Light CTL Servers)\n"
		"        deaf=MS: for MS ms after its first provisioning the node hears\n"
		"            nothing (its configuration fails; AliGenie: it falls back)\n"
		"        fail-at=STEP:CODE, close-at=STEP:REASON (both kinds): on the\n"
		"            provisioner's STEP PDU (invite, start, public-key,\n"
		"            confirmation, random, data) answer Provisioning Failed with\n"
		"            CODE, or close the link with reason REASON (0-2)\n"
		"        complete-delay=MS: Provisioning Data is taken at once, Provisioning\n"
		"            Complete sent MS ms later\n"
		"        features=BITS (both kinds): the composition's features (relay 1,\n"
		"            proxy 2, friend 4, low power 8; default none)\n"
		"        Devices take PB-ADV provisioning; once provisioned they stop\n"
		"        beaconing, ignore Link Open and are mesh nodes with a\n"
		"        Configuration Server (AppKey Add, Composition Data Get, Model\n"
		"        App Bind/Unbind, Model Subscription Add/Delete, Model\n"
		"        Publication Set/Get, Node Reset: unprovisioned\n"
		"        again; Default TTL, Relay, Beacon, GATT Proxy, Friend, Network\n"
		"        Transmit Get/Set). AliGenie devices fall back to unprovisioned\n"
		"        unless an AppKey Add comes within 60 s; after it, v1 devices bind\n"
		"        and subscribe their models themselves (0xc000, 0xcfff), and all\n"
		"        send an Attr Indication to 0xf000 every 400 ms until confirmed.\n"
		"  --time-scale F         scale those behaviour timers (not the protocol\n"
		"                         timers) by F, e.g. 0.01: the 60 s pass in 0.6 s\n"
		"  --report PATH          append what the devices do, one JSON object a line:\n"
		"                         events public_key, link_open, output, provisioned\n"
		"                         (with keys: test data), failed, link_closed,\n"
		"                         config, self_config, indication,\n"
		"                         indication_confirmed, indication_timeout,\n"
		"                         indication_unconfirmed, seg_unacked,\n"
		"                         fallback, unprovisioned (see simdev.h)\n"
		"  --loss P               drop each delivery with probability P (0..1)\n"
		"  --loss-rx-dev P        ... but those to the simulated devices with P instead\n"
		"                         (what the devices receive; --loss stays for the others)\n"
		"  --latency MS           delivery delay (default 0); airtime is always added\n"
		"  --jitter MS            +-MS uniform on top of the latency\n"
		"  --batch MS             reports due within MS go into one report event (default 1)\n"
		"  --seed N               seed of the random model (default: time and pid)\n"
		"  --rssi DBM|unknown     base RSSI (default -50, +-5 noise); unknown reports 127\n"
		"  --beacon-interval MS   device beacon interval (default 100)\n"
		"  --ready-file PATH      write \"ready\\n\" here once serving and every device\n"
		"                         is set up and beaconing\n"
		"  --legacy-only          controllers offer only the legacy advertising and\n"
		"                         scanning commands (default: also the extended ones\n"
		"                         of Bluetooth 5, with --adv-sets sets; like\n"
		"                         hardware, a controller then refuses the legacy ones\n"
		"                         after an extended one, and the other way round)\n"
		"  --adv-sets N           extended advertising sets each controller offers\n"
		"                         (LE Read Number of Supported Advertising Sets),\n"
		"                         1-16 (default 4); one radio: the sets' events\n"
		"                         take turns on the air\n"
		"  --btdev-legacy         a legacy advertisement is heard once, when it is\n"
		"                         enabled, not at each of its advertising events:\n"
		"                         what BlueZ's btvirt does (to compare timings)\n"
		"  --verbose              log connections and commands to stderr\n"
		"\n"
		"Airtime: an advertising event sends its PDU on each of its channels\n"
		"(8 us an octet, 150 us between channels); events repeat every advertising\n"
		"interval plus a random advDelay of 0-10 ms.\n"
		"\n"
		"SIGTERM or SIGINT: devices stop scanning and close, then exit 0, with one\n"
		"line \"vair: stats: ...\" on stderr: host_adv_enables, host_adv_events and\n"
		"host_airtime_us count the advertising of the controllers of --socket's\n"
		"connections (the hosts under test): advertisements started (one a PDU),\n"
		"events and their airtime.\n");
}

struct vair {
	struct ev_loop *loop;
	struct air *air;
	struct simdev *devs;
	unsigned ndev;
	unsigned nready;
	unsigned nstopped;
	const char *ready_file;
	bool ready_written;
	bool shutting_down;
	bool verbose;
	int exit_code;
	uint64_t seed;
	ev_signal sigterm, sigint;
	ev_timer guard;
};

static int write_ready_file(const char *path)
{
	char tmp[4096];
	int fd;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	n = write(fd, "ready\n", 6);
	if (close(fd) < 0 || n != 6 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void maybe_ready(struct vair *v)
{
	if (v->ready_written || v->shutting_down || v->nready < v->ndev)
		return;
	v->ready_written = true;
	if (v->verbose)
		fprintf(stderr, "vair: ready: %u device(s) beaconing\n", v->ndev);
	if (v->ready_file && write_ready_file(v->ready_file) < 0) {
		fprintf(stderr, "vair: cannot write %s: %s\n", v->ready_file, strerror(errno));
		v->exit_code = 1;
		ev_break(v->loop, EVBREAK_ALL);
	}
}

static void dev_ready(void *ctx, struct simdev *d)
{
	struct vair *v = ctx;
	char desc[200];

	if (v->verbose) {
		simdev_describe(d, desc, sizeof(desc));
		fprintf(stderr, "vair: device %s: beaconing\n", desc);
	}
	v->nready++;
	maybe_ready(v);
}

static void dev_fatal(void *ctx, struct simdev *d, const char *msg)
{
	struct vair *v = ctx;
	char desc[200];

	simdev_describe(d, desc, sizeof(desc));
	fprintf(stderr, "vair: device %s: %s\n", desc, msg);
	/* a device that dies is a broken simulation: stop, and say so */
	v->exit_code = 1;
	ev_break(v->loop, EVBREAK_ALL);
}

static void dev_stopped(void *ctx, struct simdev *d)
{
	struct vair *v = ctx;

	(void)d;
	if (++v->nstopped >= v->ndev)
		ev_break(v->loop, EVBREAK_ALL);
}

static const struct simdev_ops dev_ops = {
	.ready = dev_ready,
	.fatal = dev_fatal,
	.stopped = dev_stopped,
};

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	fprintf(stderr, "vair: devices did not stop in time\n");
	ev_break(loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct vair *v = w->data;

	(void)revents;
	if (v->shutting_down) { /* a second signal: go now */
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	v->shutting_down = true;
	if (v->verbose)
		fprintf(stderr, "vair: signal %d: stopping\n", w->signum);
	if (v->air)
		air_stop_listening(v->air);
	if (v->ndev == 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_set(&v->guard, SHUTDOWN_GUARD_S, 0.0);
	ev_timer_start(loop, &v->guard);
	for (unsigned i = 0; i < v->ndev; i++)
		simdev_stop(&v->devs[i]);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || *end || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!s[0] || s[0] == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

static void print_stats(const struct vair *v, const struct air_stats *s)
{
	fprintf(stderr,
		"vair: stats: seed=%llu controllers=%lu commands=%lu adv_events=%lu "
		"deliveries=%lu lost=%lu reports=%lu report_events=%lu multi_report_events=%lu "
		"dup_filtered=%lu masked=%lu overflow=%lu deferred_events=%lu airtime_us=%.0f "
		"host_adv_enables=%lu host_adv_events=%lu host_airtime_us=%.0f\n",
		(unsigned long long)v->seed, s->clients, s->commands, s->adv_events, s->deliveries,
		s->lost, s->reports, s->report_events, s->multi_report_events, s->dup_filtered,
		s->masked, s->overflow, s->deferred_events, s->airtime_s * 1e6,
		s->host_adv_enables, s->host_adv_events, s->host_airtime_s * 1e6);
}

/* Two devices with one UUID, or one controller address, are a mistake. */
static int check_distinct(const struct simdev *devs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = i + 1; j < n; j++) {
			if (!memcmp(devs[i].beacon.uuid, devs[j].beacon.uuid, 16)) {
				fprintf(stderr, "vair: devices %s and %s have the same UUID\n",
					devs[i].spec, devs[j].spec);
				return -1;
			}
			if (devs[i].has_bdaddr && devs[j].has_bdaddr &&
			    !memcmp(devs[i].bdaddr, devs[j].bdaddr, 6)) {
				fprintf(stderr, "vair: devices %s and %s have the same MAC\n",
					devs[i].spec, devs[j].spec);
				return -1;
			}
		}
	}
	return 0;
}

enum {
	OPT_SOCKET = 1000,
	OPT_CONNECT,
	OPT_DEVICE,
	OPT_LOSS,
	OPT_LOSS_RX_DEV,
	OPT_LATENCY,
	OPT_JITTER,
	OPT_BATCH,
	OPT_SEED,
	OPT_RSSI,
	OPT_BEACON_INTERVAL,
	OPT_READY_FILE,
	OPT_REPORT,
	OPT_TIME_SCALE,
	OPT_VERBOSE,
	OPT_LEGACY_ONLY,
	OPT_ADV_SETS,
	OPT_BTDEV_LEGACY,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "loss", required_argument, NULL, OPT_LOSS },
	{ "loss-rx-dev", required_argument, NULL, OPT_LOSS_RX_DEV },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "rssi", required_argument, NULL, OPT_RSSI },
	{ "beacon-interval", required_argument, NULL, OPT_BEACON_INTERVAL },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "time-scale", required_argument, NULL, OPT_TIME_SCALE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "legacy-only", no_argument, NULL, OPT_LEGACY_ONLY },
	{ "adv-sets", required_argument, NULL, OPT_ADV_SETS },
	{ "btdev-legacy", no_argument, NULL, OPT_BTDEV_LEGACY },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	static struct simdev devs[MAX_DEVICES];
	struct vair v;
	struct air_config cfg;
	const char *socket_path = NULL, *connect_spec = NULL, *report_path = NULL;
	int report_fd = -1;
	const char *dev_specs[MAX_DEVICES];
	unsigned ndev = 0;
	long beacon_interval = 100;
	double time_scale = 1.0;
	bool have_seed = false;
	char err[256];
	int opt;

	memset(&v, 0, sizeof(v));
	memset(&cfg, 0, sizeof(cfg));
	cfg.rssi = -50;
	cfg.batch_ms = 1.0;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		long l;

		switch (opt) {
		case OPT_SOCKET:
			socket_path = optarg;
			break;
		case OPT_CONNECT:
			connect_spec = optarg;
			break;
		case OPT_DEVICE:
			if (ndev == MAX_DEVICES) {
				fprintf(stderr, "vair: at most %d devices\n", MAX_DEVICES);
				return 2;
			}
			dev_specs[ndev++] = optarg;
			break;
		case OPT_LOSS:
			if (parse_double(optarg, 0.0, 1.0, &cfg.loss) < 0)
				goto bad;
			break;
		case OPT_LOSS_RX_DEV:
			if (parse_double(optarg, 0.0, 1.0, &cfg.loss_dev) < 0)
				goto bad;
			cfg.loss_dev_set = true;
			break;
		case OPT_LATENCY:
			if (parse_double(optarg, 0.0, 60000.0, &cfg.latency_ms) < 0)
				goto bad;
			break;
		case OPT_JITTER:
			if (parse_double(optarg, 0.0, 60000.0, &cfg.jitter_ms) < 0)
				goto bad;
			break;
		case OPT_BATCH:
			if (parse_double(optarg, 0.0, 10000.0, &cfg.batch_ms) < 0)
				goto bad;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, &cfg.seed) < 0)
				goto bad;
			have_seed = true;
			break;
		case OPT_RSSI:
			if (!strcmp(optarg, "unknown")) {
				cfg.rssi_unknown = true;
			} else {
				if (parse_long(optarg, -127, 20, &l) < 0)
					goto bad;
				cfg.rssi = (int)l;
				cfg.rssi_unknown = false;
			}
			break;
		case OPT_BEACON_INTERVAL:
			if (parse_long(optarg, 20, 600000, &beacon_interval) < 0)
				goto bad;
			break;
		case OPT_READY_FILE:
			v.ready_file = optarg;
			break;
		case OPT_REPORT:
			report_path = optarg;
			break;
		case OPT_TIME_SCALE:
			if (parse_double(optarg, 0.0001, 1000.0, &time_scale) < 0)
				goto bad;
			break;
		case OPT_LEGACY_ONLY:
			cfg.legacy_only = true;
			break;
		case OPT_ADV_SETS:
			if (parse_long(optarg, 1, AIR_MAX_ADV_SETS, &l) < 0)
				goto bad;
			cfg.adv_sets = (unsigned)l;
			break;
		case OPT_BTDEV_LEGACY:
			cfg.btdev_legacy = true;
			break;
		case OPT_VERBOSE:
			v.verbose = cfg.verbose = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		continue;
bad:
		fprintf(stderr, "vair: bad value '%s' for --%s\n", optarg,
			long_opts[opt - OPT_SOCKET].name);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "vair: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!socket_path == !connect_spec) {
		fprintf(stderr, "vair: give exactly one of --socket PATH and --connect unix:PATH\n");
		usage(stderr);
		return 2;
	}
	if (connect_spec && ndev == 0) {
		fprintf(stderr, "vair: --connect needs at least one --device\n");
		return 2;
	}
	for (unsigned i = 0; i < ndev; i++) {
		if (simdev_parse(&devs[i], dev_specs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "vair: %s\n", err);
			return 2;
		}
	}
	if (check_distinct(devs, ndev) < 0)
		return 2;
	for (unsigned i = 0; i < ndev; i++)
		devs[i].time_scale = time_scale;
	if (report_path) {
		/* it holds keys (test data): 0600 */
		report_fd = open(report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (report_fd < 0) {
			fprintf(stderr, "vair: cannot open %s: %s\n", report_path, strerror(errno));
			return 1;
		}
		for (unsigned i = 0; i < ndev; i++)
			devs[i].report_fd = report_fd;
	}
	if (!have_seed)
		cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	signal(SIGPIPE, SIG_IGN);
	v.loop = ev_default_loop(0);
	if (!v.loop) {
		fprintf(stderr, "vair: cannot initialise libev\n");
		return 1;
	}
	v.devs = devs;
	v.seed = cfg.seed;
	ev_signal_init(&v.sigterm, on_signal, SIGTERM);
	ev_signal_init(&v.sigint, on_signal, SIGINT);
	v.sigterm.data = v.sigint.data = &v;
	ev_signal_start(v.loop, &v.sigterm);
	ev_signal_start(v.loop, &v.sigint);
	ev_init(&v.guard, on_guard);
	v.guard.data = &v;

	if (socket_path) {
		v.air = air_new(v.loop, &cfg);
		if (!v.air) {
			fprintf(stderr, "vair: out of memory\n");
			return 1;
		}
		if (air_listen(v.air, socket_path, err, sizeof(err)) < 0) {
			fprintf(stderr, "vair: %s\n", err);
			air_free(v.air);
			return 1;
		}
		if (v.verbose)
			fprintf(stderr, "vair: serving H4 on %s (seed %llu)\n", socket_path,
				(unsigned long long)cfg.seed);
	}
	for (unsigned i = 0; i < ndev; i++) {
		struct simdev *d = &devs[i];
		char spec[300];
		int owned = -1;

		if (v.air) {
			int sv[2];

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
				fprintf(stderr, "vair: socketpair: %s\n", strerror(errno));
				v.exit_code = 1;
				break;
			}
			if (air_attach(v.air, sv[0], d->has_bdaddr ? d->bdaddr : NULL) < 0) {
				fprintf(stderr, "vair: cannot attach a controller\n");
				close(sv[0]);
				close(sv[1]);
				v.exit_code = 1;
				break;
			}
			snprintf(spec, sizeof(spec), "fd:%d", sv[1]);
			owned = sv[1];
		} else {
			snprintf(spec, sizeof(spec), "%s", connect_spec);
		}
		v.ndev++; /* counted from here: stopped and closed with the rest */
		if (simdev_start(d, v.loop, spec, owned, (unsigned)beacon_interval, &dev_ops, &v, err,
				 sizeof(err)) < 0) {
			fprintf(stderr, "vair: device %s: %s\n", d->spec, err);
			v.exit_code = 1;
			break;
		}
	}
	if (v.exit_code == 0) {
		maybe_ready(&v);
		ev_run(v.loop, 0);
	}

	for (unsigned i = 0; i < v.ndev; i++)
		simdev_close(&devs[i]);
	if (v.air) {
		struct air_stats st = *air_get_stats(v.air);

		air_free(v.air); /* closes the connections left */
		print_stats(&v, &st);
	}
	ev_timer_stop(v.loop, &v.guard);
	ev_signal_stop(v.loop, &v.sigterm);
	ev_signal_stop(v.loop, &v.sigint);
	ev_loop_destroy(v.loop);
	if (report_fd >= 0)
		close(report_fd);
	return v.exit_code;
}
