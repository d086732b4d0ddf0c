/* meshprov provision: provision one device over PB-ADV and record it, through
 * the daemon when one answers, else on the controller directly. The options
 * become a struct provreq once (provreq_words_from_argv, then the secret
 * file and MESHPROV_SECRET read here, then provreq_from_words); the daemon
 * gets the same words as JSON. On our own controller this file only opens
 * the database, the radio and the job, runs the loop and prints the
 * outcome the job hands over once (j_done): the job (provjob_wait) takes
 * what the radio hears itself, from its device's beacon to its node's
 * last answer. */
#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "cli.h"
#include "ctl.h"
#include "localnode.h"
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
	struct provjob job;      /* alone on the radio: it takes what the radio hears */
	bool progress;
	ev_timer total_timer;
	ev_signal sigint, sigterm;
	ev_io stdin_io;
	char line[64];
	size_t line_len;
	uint64_t t0;
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
		LOCALNODE_LINGER_DEFAULT_S);
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
	if (!provjob_finished(&p->job)) {
		provjob_cancel(&p->job, msg);
		return;
	}
	if (p->printed && !p->stopping)
		log_info("%s: stopped waiting for the node", msg);
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
	res = provjob_json(&p->job);
	p->rc = print_result(res, p->json);
	json_object_put(res);
}

/* The outcome is known: say it, then stay while the node may still need
 * us (provjob_linger), unless we are giving up. */
static void j_done(void *ctx)
{
	struct provision *p = ctx;

	print_outcome(p);
	if (provjob_linger(&p->job, p->linger_s, linger_done, p) < 0)
		stop(p);
}

static const struct provjob_ops provision_job_ops = {
	.progress = j_progress,
	.auth_prompt = j_auth_prompt,
	.done = j_done,
};

static void on_fatal(void *ctx, const char *msg)
{
	struct provision *p = ctx;

	provjob_lost(&p->job, msg);
	ev_break(p->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	struct provision *p = ctx;

	ev_break(p->loop, EVBREAK_ALL);
}

/* what the radio hears goes to the job (provjob_wait) */
static const struct radio_ops provision_radio_ops = {
	.fatal = on_fatal,
	.stopped = on_stopped,
};

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
	if (provjob_wait(&p->job, &p->radio, p->db, &p->req.job, p->req.wait_s, &provision_job_ops, p,
			 err, sizeof(err)) < 0) {
		radio_close(&p->radio);
		nodedb_close(p->db);
		return fail_early(p, json, err);
	}
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
	ev_timer_stop(p->loop, &p->total_timer);
	provjob_free(&p->job);
	radio_close(&p->radio);
	nodedb_close(p->db);
	return p->rc;
}

/* ---- options: the secret file (provreq reads no files) ---- */

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

static bool is_aligenie_uuid(const char *text)
{
	uint8_t uuid[16];
	struct aligenie_info ali;

	return text && hex_decode(text, uuid, 16) == 0 && aligenie_decode(uuid, &ali);
}

int cmd_provision(const struct global_opts *g, int argc, char **argv)
{
	static struct provision prov_state; /* large; one per process */
	struct provision *p = &prov_state;
	struct provreq_words w;
	struct json_object *req;
	char secret_buf[160];
	bool json;
	char err[256];
	int fd, rc;

	memset(p, 0, sizeof(*p));
	p->linger_s = LOCALNODE_LINGER_DEFAULT_S;
	rc = provreq_words_from_argv(argc, argv, &w, err, sizeof(err));
	json = w.json;
	if (w.help) {
		provision_usage(stdout);
		return 0;
	}
	if (rc == -1) {
		provision_usage(stderr);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		req = provreq_words_json(&w);
		rc = cli_fail(json, "provision", cli_fail_fields(req), EXIT_USAGE, err);
		json_object_put(req);
		return rc;
	}
	/* our own run's: the daemon stays anyway */
	if (w.linger && cli_parse_linger(w.linger, &p->linger_s) < 0) {
		fprintf(stderr, "meshprov provision: --linger needs 0 or a positive number of seconds\n");
		return EXIT_USAGE;
	}
	if (w.secret_file) {
		if (read_secret_file(w.secret_file, secret_buf, sizeof(secret_buf)) < 0) {
			fprintf(stderr, "meshprov provision: cannot read %s: %s\n", w.secret_file,
				strerror(errno));
			return 1;
		}
		w.secret = secret_buf;
	}
	/* the environment's secret applies where AliGenie authentication does */
	if (!w.secret && getenv("MESHPROV_SECRET") &&
	    (w.ali_given || (!provreq_words_kind_given(&w) && is_aligenie_uuid(w.uuid))))
		w.secret = getenv("MESHPROV_SECRET");
	req = provreq_words_json(&w);
	rc = provreq_from_words(&w, &p->req, err, sizeof(err));
	OPENSSL_cleanse(secret_buf, sizeof(secret_buf));
	OPENSSL_cleanse(&w, sizeof(w));
	if (rc < 0) {
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
