/* meshprov provision: provision one device over PB-ADV and record it, through
 * the daemon when one answers, else on the controller directly. */
#include <errno.h>
#include <getopt.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "beacon.h"
#include "cli.h"
#include "client.h"
#include "ctl.h"
#include "log.h"
#include "nodedb.h"
#include "provjob.h"
#include "provreq.h"
#include "radio.h"
#include "util.h"

struct provision {
	struct ev_loop *loop;
	struct radio radio;
	struct nodedb *db;
	struct provreq req;
	char uuid_hex[33];
	struct provjob job;
	bool job_started;
	int64_t listen_since;    /* Unix seconds: scanning since (pending reservations) */
	struct client client;
	bool client_on;
	bool progress;
	ev_timer wait_timer, total_timer;
	ev_signal sigint, sigterm;
	ev_io stdin_io;
	char line[64];
	size_t line_len;
	uint64_t t0;
	char msg[300]; /* a failure before the job started */
	bool stopping;
	double linger_s;  /* --linger */
	bool json;
	bool printed;     /* the outcome, once the job was done */
	int rc;           /* ... and the exit status it gave */
};

static void provision_usage(FILE *f)
{
	fprintf(f,
		"Usage: meshprov [--hci SPEC] [--db PATH] provision --uuid UUID [AUTH] [OPTIONS]\n"
		"\n"
		"Provision one device over PB-ADV and record it in the node database.\n"
		"\n"
		"Authentication (one of; default: no OOB, or AliGenie for an AliGenie UUID):\n"
		"  -p, --pid N               AliGenie ProductID (default: from the UUID)\n"
		"  -s, --secret HEX          AliGenie secret (or --secret-file, or $MESHPROV_SECRET)\n"
		"      --secret-file FILE    read the AliGenie secret from FILE\n"
		"  -m, --mac HEX             AliGenie MAC, display order (default: from the UUID)\n"
		"      --static-oob HEX      static OOB value, 16 or 32 octets\n"
		"      --no-oob              no OOB authentication\n"
		"      --output-oob          the device shows a value; type it (or --auth-value)\n"
		"      --auth-value VALUE    the value the device shows (output OOB)\n"
		"      --input-oob           meshprov shows a value to enter on the device\n"
		"      --device-public-key HEX  the device's public key, known out of band (64 octets)\n"
		"\n"
		"Options:\n"
		"  -u, --uuid UUID           the device (32 hex digits)\n"
		"      --unicast ADDR        primary element address (default: next free)\n"
		"      --attention S         attention timer in the Invite (default 0)\n"
		"      --wait S              how long to wait for the device's beacon (default 10)\n"
		"      --no-configure        do not configure the node after provisioning\n"
		"      --group ADDR          AliGenie group for UUID version 0 devices (repeatable;\n"
		"                            default 0xc000 and 0xcfff)\n"
		"  -t, --timeout S           give up after S seconds in all\n"
		"      --linger S            once done, stay up to S seconds (default %d; 0: not at\n"
		"                            all) while the node may still need us: acknowledging\n"
		"                            its retransmitted segments, confirming its repeated\n"
		"                            indication, our own segments acknowledged\n"
		"  -j, --json                print one JSON object with the outcome\n"
		"  -h, --help                show this help\n",
		CLIENT_LINGER_DEFAULT_S);
}

/* ---- output: the same from a local run and from the daemon ---- */

static void progress_line(uint64_t t0, const char *text)
{
	fprintf(stderr, "[%5.2fs] %s\n", (double)(mono_ms() - t0) / 1000.0, text);
}

/* Print the outcome (provjob_json's object); the exit status. */
static int print_result(struct json_object *res, bool json)
{
	const char *error = ctl_string(res, "error");
	const char *uuid = ctl_string(res, "uuid");
	struct json_object *configured = NULL;
	bool conf_asked = json_object_object_get_ex(res, "configured", &configured);
	bool conf_ok = conf_asked && json_object_get_boolean(configured);
	int elements = ctl_int(res, "elements");

	if (json) {
		puts(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN));
	} else if (error) {
		fprintf(stderr, "meshprov: %s\n", error);
	} else {
		printf("provisioned %s: unicast 0x%04x, %d element%s", uuid ? uuid : "?",
		       ctl_int(res, "unicast"), elements, elements == 1 ? "" : "s");
		if (conf_ok)
			printf("; configured (AppKey 0%s)",
			       json_object_object_get_ex(res, "composition", NULL) ?
				       ", composition stored" : "");
		putchar('\n');
		if (conf_asked && !conf_ok)
			fprintf(stderr, "meshprov: the node was provisioned but not configured: %s "
					"(it is in the database marked unconfigured)\n",
				ctl_string(res, "config_error") ? ctl_string(res, "config_error") : "?");
	}
	fflush(stdout);
	return !error && (!conf_asked || conf_ok) ? 0 : 1;
}

/* ---- through the daemon ---- */

static void daemon_event(void *ctx, struct json_object *ev)
{
	const struct provision *p = ctx;
	const char *text = ctl_string(ev, "text");

	if (text && (p->progress || !strncmp(text, "Enter this", 10)))
		progress_line(p->t0, text);
}

/* ---- the job on our own radio ---- */

static void stop(struct provision *p)
{
	if (p->stopping)
		return;
	p->stopping = true;
	ev_timer_stop(p->loop, &p->wait_timer);
	ev_timer_stop(p->loop, &p->total_timer);
	ev_io_stop(p->loop, &p->stdin_io);
	radio_stop(&p->radio);
}

/* Give up, whatever the job is doing. */
static void give_up(struct provision *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void give_up(struct provision *p, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->job_started && !provjob_finished(&p->job)) {
		provjob_cancel(&p->job, msg);
		return;
	}
	if (p->printed && !p->stopping)
		log_info("%s: stopped waiting for the node", msg);
	if (!p->job_started && p->msg[0] == '\0')
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
	stop(p);
}

static void j_progress(void *ctx, const char *text)
{
	struct provision *p = ctx;

	if (p->progress)
		progress_line(p->t0, text);
}

static void on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
	struct provision *p = w->data;
	char c;
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = read(STDIN_FILENO, &c, 1)) == 1) {
		if (c == '\n')
			break;
		if (p->line_len + 1 < sizeof(p->line))
			p->line[p->line_len++] = c;
	}
	if (n == 0 && p->line_len == 0) {
		ev_io_stop(p->loop, w);
		give_up(p, "no output OOB value entered");
		return;
	}
	if (n < 0 && p->line_len == 0)
		return;
	p->line[p->line_len] = '\0';
	ev_io_stop(p->loop, w);
	provjob_auth_value(&p->job, p->line);
	OPENSSL_cleanse(p->line, sizeof(p->line));
	p->line_len = 0;
}

static int j_auth_prompt(void *ctx, bool ask, const char *text)
{
	struct provision *p = ctx;

	if (!ask) {
		fprintf(stderr, "%s\n", text);
		return 0;
	}
	if (!isatty(STDIN_FILENO))
		return -1;
	fputs(text, stderr);
	ev_io_init(&p->stdin_io, on_stdin, STDIN_FILENO, EV_READ);
	p->stdin_io.data = p;
	ev_io_start(p->loop, &p->stdin_io);
	return 0;
}

static void c_access(void *ctx, const struct mesh_rx *rx)
{
	struct provision *p = ctx;

	if (p->job_started)
		provjob_access(&p->job, rx);
}

static void c_indication(void *ctx, uint16_t src, uint8_t tid)
{
	struct provision *p = ctx;

	(void)tid;
	if (p->job_started)
		provjob_indication(&p->job, src);
}

static struct client *j_client(void *ctx, char *err, size_t errlen)
{
	struct provision *p = ctx;

	if (!p->client_on) {
		if (client_init(&p->client, &p->radio, p->db, c_access, p, err, errlen) != 0)
			return NULL;
		p->client_on = true;
		p->client.indication = c_indication;
	}
	return &p->client;
}

static void linger_done(void *ctx)
{
	stop(ctx);
}

/* The outcome, printed once. */
static void print_outcome(struct provision *p)
{
	struct json_object *res;

	if (p->printed)
		return;
	p->printed = true;
	if (p->job_started) {
		res = provjob_json(&p->job);
	} else {
		res = json_object_new_object();
		json_object_object_add(res, "uuid", json_object_new_string(p->uuid_hex));
		json_object_object_add(res, "error", json_object_new_string(
					       p->msg[0] ? p->msg : "provisioning did not complete"));
	}
	p->rc = print_result(res, p->json);
	json_object_put(res);
}

/* The outcome is known: say it, then stay while the node may still need
 * us (client_linger), unless we are giving up. */
static void j_done(void *ctx)
{
	struct provision *p = ctx;
	char text[100];

	print_outcome(p);
	if (!p->client_on || p->job.cancelling || p->linger_s <= 0) {
		stop(p);
		return;
	}
	snprintf(text, sizeof(text), "waiting until the node has all it needs from us (at most %g s)",
		 p->linger_s);
	j_progress(p, text);
	client_linger(&p->client, (uint64_t)(p->linger_s * 1000.0), linger_done, p);
}

static const struct provjob_ops provision_job_ops = {
	.progress = j_progress,
	.auth_prompt = j_auth_prompt,
	.client = j_client,
	.done = j_done,
};

static void on_ready(void *ctx)
{
	struct provision *p = ctx;
	char text[300];

	snprintf(text, sizeof(text), "controller ready on %.200s; waiting for the beacon of %s",
		 p->radio.tr.name, p->uuid_hex);
	j_progress(p, text);
	p->listen_since = (int64_t)time(NULL);
	ev_timer_set(&p->wait_timer, p->req.wait_s, 0.0);
	ev_timer_start(p->loop, &p->wait_timer);
}

static void on_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct provision *p = ctx;
	struct unprov_beacon b;
	char err[256];

	if (p->stopping)
		return;
	if (type == AD_TYPE_PB_ADV) {
		if (p->job_started)
			provjob_pb_adv(&p->job, data, len);
		return;
	}
	if (type == AD_TYPE_MESH_MESSAGE) {
		if (p->client_on)
			client_input(&p->client, data, len);
		return;
	}
	if (type != AD_TYPE_MESH_BEACON || beacon_parse_unprov(data, len, &b) != 0)
		return;
	/* a pending reservation (an earlier run stopped after sending its
	 * Provisioning Data) of a device that beacons did not take: released;
	 * our own job's is its own */
	if ((!p->job_started || memcmp(b.uuid, p->req.job.uuid, 16)) &&
	    provjob_reservation_heard(p->db, b.uuid, (int64_t)time(NULL), p->listen_since, err,
				      sizeof(err)) < 0)
		log_warn("%s", err);
	if (p->job_started || memcmp(b.uuid, p->req.job.uuid, 16))
		return;
	if (r->rssi == HCI_RSSI_UNKNOWN)
		j_progress(p, "beacon heard");
	else {
		snprintf(err, sizeof(err), "beacon heard (rssi %d)", r->rssi);
		j_progress(p, err);
	}
	ev_timer_stop(p->loop, &p->wait_timer);
	if (provjob_start(&p->job, &p->radio, p->db, &p->req.job, &provision_job_ops, p, err,
			  sizeof(err)) < 0) {
		give_up(p, "%s", err);
		return;
	}
	p->job_started = true;
}

static void on_fatal(void *ctx, const char *msg)
{
	struct provision *p = ctx;

	if (p->job_started && p->job.msg[0] == '\0' && !p->job.ok)
		snprintf(p->job.msg, sizeof(p->job.msg), "%s", msg);
	else if (p->msg[0] == '\0')
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
	ev_break(p->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	struct provision *p = ctx;

	ev_break(p->loop, EVBREAK_ALL);
}

static const struct radio_ops provision_radio_ops = {
	.ready = on_ready,
	.rx = on_rx,
	.fatal = on_fatal,
	.stopped = on_stopped,
};

static void on_wait_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct provision *p = w->data;

	(void)loop;
	(void)revents;
	give_up(p, "no beacon from %s within %g s", p->uuid_hex, p->req.wait_s);
}

static void on_total_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct provision *p = w->data;

	(void)loop;
	(void)revents;
	give_up(p, "gave up after %g s", p->req.timeout_s);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	give_up(w->data, "interrupted");
}

/* A failure before the radio is opened: the same shape as provjob_json's. */
static int fail_early(const struct provision *p, bool json, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "uuid", json_object_new_string(p->uuid_hex));
	return cli_fail(json, NULL, o, 1, msg);
}

static int run_local(struct provision *p, const struct global_opts *g, bool json)
{
	char err[512];

	cli_ensure_parent_dir(g->db, 0700);
	/* the whole database is checked before the controller is touched */
	p->db = nodedb_open(g->db, 2000, err, sizeof(err));
	if (!p->db)
		return fail_early(p, json, err);
	if (provjob_check_new(p->db, p->req.job.uuid, err, sizeof(err)) < 0) {
		nodedb_close(p->db);
		return fail_early(p, json, err);
	}
	p->loop = ev_default_loop(EVFLAG_AUTO);
	if (cli_radio_open(g, &p->radio, p->loop, &provision_radio_ops, p, err, sizeof(err)) < 0) {
		nodedb_close(p->db);
		return fail_early(p, json, err);
	}
	ev_init(&p->wait_timer, on_wait_timeout);
	p->wait_timer.data = p;
	ev_init(&p->total_timer, on_total_timeout);
	p->total_timer.data = p;
	if (p->req.timeout_s > 0) {
		ev_timer_set(&p->total_timer, p->req.timeout_s, 0.0);
		ev_timer_start(p->loop, &p->total_timer);
	}
	ev_signal_init(&p->sigint, on_signal, SIGINT);
	p->sigint.data = p;
	ev_signal_init(&p->sigterm, on_signal, SIGTERM);
	p->sigterm.data = p;
	ev_signal_start(p->loop, &p->sigint);
	ev_signal_start(p->loop, &p->sigterm);
	radio_start(&p->radio);
	ev_run(p->loop, 0);

	print_outcome(p);
	ev_signal_stop(p->loop, &p->sigint);
	ev_signal_stop(p->loop, &p->sigterm);
	ev_timer_stop(p->loop, &p->wait_timer);
	ev_timer_stop(p->loop, &p->total_timer);
	if (p->job_started)
		provjob_free(&p->job);
	if (p->client_on)
		client_free(&p->client);
	radio_close(&p->radio);
	nodedb_close(p->db);
	return p->rc;
}

/* ---- options: turned into a provision request ---- */

static int read_secret_file(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	return 0;
}

enum {
	OPT_SECRET_FILE = 256,
	OPT_STATIC_OOB,
	OPT_NO_OOB,
	OPT_OUTPUT_OOB,
	OPT_INPUT_OOB,
	OPT_AUTH_VALUE,
	OPT_DEVICE_PUBKEY,
	OPT_UNICAST,
	OPT_ATTENTION,
	OPT_WAIT,
	OPT_NO_CONFIGURE,
	OPT_GROUP,
	OPT_LINGER,
};

static void add_str(struct json_object *req, const char *key, const char *v)
{
	json_object_object_add(req, key, json_object_new_string(v));
}

static void add_true(struct json_object *req, const char *key)
{
	json_object_object_add(req, key, json_object_new_boolean(1));
}

static bool is_aligenie_uuid(struct json_object *req)
{
	const char *text = ctl_string(req, "uuid");
	struct aligenie_info ali;
	uint8_t uuid[16];

	return text && hex_decode(text, uuid, 16) == 0 && aligenie_decode(uuid, &ali);
}

/* The request the options make; NULL after a message (usage error). */
static struct json_object *parse_options(int argc, char **argv, bool *json, double *linger_s)
{
	static const struct option opts[] = {
		{ "uuid", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
		{ "mac", required_argument, NULL, 'm' },
		{ "static-oob", required_argument, NULL, OPT_STATIC_OOB },
		{ "no-oob", no_argument, NULL, OPT_NO_OOB },
		{ "output-oob", no_argument, NULL, OPT_OUTPUT_OOB },
		{ "input-oob", no_argument, NULL, OPT_INPUT_OOB },
		{ "auth-value", required_argument, NULL, OPT_AUTH_VALUE },
		{ "device-public-key", required_argument, NULL, OPT_DEVICE_PUBKEY },
		{ "unicast", required_argument, NULL, OPT_UNICAST },
		{ "attention", required_argument, NULL, OPT_ATTENTION },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "no-configure", no_argument, NULL, OPT_NO_CONFIGURE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *req = json_object_new_object();
	struct json_object *groups = NULL;
	char secret_buf[160];
	bool kind_given = false, ali_given = false;
	int c;

	add_str(req, "cmd", "provision");
	while ((c = getopt_long(argc, argv, "u:p:s:m:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'u': add_str(req, "uuid", optarg); break;
		case 'p': add_str(req, "pid", optarg); ali_given = true; break;
		case 's': add_str(req, "secret", optarg); ali_given = true; break;
		case 'm': add_str(req, "mac", optarg); ali_given = true; break;
		case OPT_SECRET_FILE:
			if (read_secret_file(optarg, secret_buf, sizeof(secret_buf)) < 0) {
				fprintf(stderr, "meshprov provision: cannot read %s: %s\n", optarg,
					strerror(errno));
				json_object_put(req);
				exit(1);
			}
			add_str(req, "secret", secret_buf);
			OPENSSL_cleanse(secret_buf, sizeof(secret_buf));
			ali_given = true;
			break;
		case OPT_STATIC_OOB: add_str(req, "static_oob", optarg); kind_given = true; break;
		case OPT_NO_OOB: add_true(req, "no_oob"); kind_given = true; break;
		case OPT_OUTPUT_OOB: add_true(req, "output_oob"); kind_given = true; break;
		case OPT_INPUT_OOB: add_true(req, "input_oob"); kind_given = true; break;
		case OPT_AUTH_VALUE: add_str(req, "auth_value", optarg); break;
		case OPT_DEVICE_PUBKEY: add_str(req, "device_public_key", optarg); break;
		case OPT_UNICAST: add_str(req, "unicast", optarg); break;
		case OPT_ATTENTION: add_str(req, "attention", optarg); break;
		case OPT_WAIT: add_str(req, "wait", optarg); break;
		case 't': add_str(req, "timeout", optarg); break;
		case OPT_NO_CONFIGURE:
			json_object_object_add(req, "configure", json_object_new_boolean(0));
			break;
		case OPT_GROUP:
			if (!groups) {
				groups = json_object_new_array();
				json_object_object_add(req, "groups", groups);
			}
			json_object_array_add(groups, json_object_new_string(optarg));
			break;
		case OPT_LINGER:
			/* our own run's: the daemon stays anyway */
			if (cli_parse_linger(optarg, linger_s) < 0) {
				fprintf(stderr, "meshprov provision: --linger needs 0 or a positive number of seconds\n");
				json_object_put(req);
				return NULL;
			}
			break;
		case 'j': *json = true; break;
		case 'h': provision_usage(stdout); json_object_put(req); exit(0);
		default: provision_usage(stderr); json_object_put(req); return NULL;
		}
	}
	if (optind < argc) {
		char msg[200];

		snprintf(msg, sizeof(msg), "unexpected argument '%.100s'", argv[optind]);
		cli_fail(*json, "provision", cli_fail_fields(req), EXIT_USAGE, msg);
		json_object_put(req);
		return NULL;
	}
	/* the environment's secret applies where AliGenie authentication does */
	if (!json_object_object_get_ex(req, "secret", NULL) && getenv("MESHPROV_SECRET") &&
	    (ali_given || (!kind_given && is_aligenie_uuid(req))))
		add_str(req, "secret", getenv("MESHPROV_SECRET"));
	return req;
}

int cmd_provision(const struct global_opts *g, int argc, char **argv)
{
	static struct provision prov_state; /* large; one per process */
	struct provision *p = &prov_state;
	struct json_object *req;
	bool json = false;
	char err[256];
	int fd, rc;

	memset(p, 0, sizeof(*p));
	p->linger_s = CLIENT_LINGER_DEFAULT_S;
	req = parse_options(argc, argv, &json, &p->linger_s);
	if (!req)
		return EXIT_USAGE;
	if (provreq_parse(req, &p->req, err, sizeof(err)) < 0) {
		rc = cli_fail(json, "provision", cli_fail_fields(req), EXIT_USAGE, err);
		json_object_put(req);
		return rc;
	}
	hex_encode(p->req.job.uuid, 16, p->uuid_hex);
	p->json = json;
	p->progress = isatty(STDERR_FILENO) && !json;
	p->t0 = mono_ms();
	fd = cli_daemon(g);
	rc = fd >= 0 ? cli_daemon_run(fd, req, "provision", daemon_event, p, print_result, json) : run_local(p, g, json);
	json_object_put(req);
	OPENSSL_cleanse(p, sizeof(*p));
	return rc;
}
