/* A C libzmq publisher and subscriber for the send-path benchmark (benchmarks/bench_send.py).
 *
 * Built at benchmark time: gcc -O2 -o zmqbench zmqbench.c -lzmq  (Debian: libzmq3-dev).
 *
 *   zmqbench pub MESSAGES HWM   binds an XPUB (linger 0, XPUB_VERBOSER, SNDHWM, XPUB_NODROP) on
 *                               tcp://127.0.0.1:*, prints its endpoint, then obeys stdin lines:
 *                               "wait"  -> one subscription notice (30 s), prints "ok"
 *                               "round" -> sends every message (key with SNDMORE|DONTWAIT, body
 *                                          with DONTWAIT), then "BENCH-END"; prints
 *                                          "<wall ns> <thread CPU ns> <sent> <refused>" of
 *                                          the send loop
 *                               "quit"  -> sends "BENCH-QUIT" and exits
 *                               MESSAGES: [u32 key length][key][u32 body length][body] ..., native
 *                               byte order, as written by bench_send.py.
 *   zmqbench count IDLE_MS EP   a SUB (subscribe all, RCVHWM 0) connected to EP; prints how many
 *                               messages and bytes arrived once none came for IDLE_MS (after the
 *                               first), or after 10 minutes without any.
 *   zmqbench sub CTRL EP...     a SUB (subscribe all, RCVHWM 0) connected to every EP; counts
 *                               messages and pushes the count to CTRL (PUSH) at each BENCH-END;
 *                               exits on BENCH-QUIT or after 60 s without a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

typedef struct {
    char *key;
    size_t key_len;
    char *body;
    size_t body_len;
} message_t;

static void die(const char *what) {
    fprintf(stderr, "zmqbench: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static int64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static message_t *load(const char *path, size_t *count) {
    FILE *fh = fopen(path, "rb");
    if (!fh) {
        perror(path);
        exit(1);
    }
    size_t cap = 1024, n = 0;
    message_t *out = malloc(cap * sizeof *out);
    uint32_t len;
    while (fread(&len, sizeof len, 1, fh) == 1) {
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap * sizeof *out);
        }
        out[n].key_len = len;
        out[n].key = malloc(len ? len : 1);
        if (len && fread(out[n].key, 1, len, fh) != len) break;
        if (fread(&len, sizeof len, 1, fh) != 1) break;
        out[n].body_len = len;
        out[n].body = malloc(len ? len : 1);
        if (len && fread(out[n].body, 1, len, fh) != len) break;
        n++;
    }
    fclose(fh);
    *count = n;
    return out;
}

static int publisher(const char *path, int hwm) {
    size_t n;
    message_t *msgs = load(path, &n);
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0, one = 1;
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_XPUB_VERBOSER, &one, sizeof one);
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof one);
    if (zmq_bind(pub, "tcp://127.0.0.1:*") != 0) die("bind");
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &size);
    printf("%s\n", endpoint);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "wait", 4) == 0) {
            zmq_pollitem_t item = {pub, 0, ZMQ_POLLIN, 0};
            char note[256];
            if (zmq_poll(&item, 1, 30000) <= 0 || zmq_recv(pub, note, sizeof note, 0) < 0) {
                printf("timeout\n");
            } else {
                printf("ok\n");
            }
        } else if (strncmp(line, "round", 5) == 0) {
            size_t sent = 0, refused = 0;
            int64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
            for (size_t i = 0; i < n; i++) {
                if (zmq_send(pub, msgs[i].key, msgs[i].key_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
                    refused++;
                    continue;
                }
                if (zmq_send(pub, msgs[i].body, msgs[i].body_len, ZMQ_DONTWAIT) < 0) die("send body");
                sent++;
            }
            int64_t elapsed = clock_ns(CLOCK_MONOTONIC) - t0;
            int64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
            zmq_send(pub, "BENCH-END", 9, ZMQ_SNDMORE);
            zmq_send(pub, "", 0, 0);
            printf("%lld %lld %zu %zu\n", (long long)elapsed, (long long)cpu, sent, refused);
        } else if (strncmp(line, "quit", 4) == 0) {
            zmq_send(pub, "BENCH-QUIT", 10, ZMQ_SNDMORE);
            zmq_send(pub, "", 0, 0);
            break;
        }
        fflush(stdout);
    }
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}

static int subscriber(const char *ctrl, int argc, char **endpoints) {
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int zero = 0, timeout = 60000;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero);
    for (int i = 0; i < argc; i++)
        if (zmq_connect(sub, endpoints[i]) != 0) die("connect");
    if (zmq_connect(push, ctrl) != 0) die("connect ctrl");
    long count = 0;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
        if (zmq_msg_recv(&msg, sub, 0) < 0) break; /* 60 s without a message */
        size_t len = zmq_msg_size(&msg);
        const char *data = zmq_msg_data(&msg);
        int end = len == 9 && memcmp(data, "BENCH-END", 9) == 0;
        int quit = len == 10 && memcmp(data, "BENCH-QUIT", 10) == 0;
        while (zmq_msg_more(&msg))
            if (zmq_msg_recv(&msg, sub, 0) < 0) die("recv");
        if (quit) break;
        if (end) {
            char text[32];
            int k = snprintf(text, sizeof text, "%ld", count);
            zmq_send(push, text, (size_t)k, 0);
            count = 0;
        } else {
            count++;
        }
    }
    zmq_msg_close(&msg);
    zmq_close(sub);
    zmq_close(push);
    zmq_ctx_term(ctx);
    return 0;
}

static int counter(int idle_ms, const char *endpoint) {
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0, first = 600000;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &first, sizeof first);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sub, endpoint) != 0) die("connect");
    long count = 0;
    long long bytes = 0;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
        if (zmq_msg_recv(&msg, sub, 0) < 0) break;
        bytes += (long long)zmq_msg_size(&msg);
        while (zmq_msg_more(&msg)) {
            if (zmq_msg_recv(&msg, sub, 0) < 0) die("recv");
            bytes += (long long)zmq_msg_size(&msg);
        }
        if (count++ == 0) zmq_setsockopt(sub, ZMQ_RCVTIMEO, &idle_ms, sizeof idle_ms);
    }
    printf("%ld %lld\n", count, bytes);
    fflush(stdout);
    zmq_msg_close(&msg);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "count") == 0) return counter(atoi(argv[2]), argv[3]);
    if (argc >= 4 && strcmp(argv[1], "pub") == 0) return publisher(argv[2], atoi(argv[3]));
    if (argc >= 4 && strcmp(argv[1], "sub") == 0) return subscriber(argv[2], argc - 3, argv + 3);
    fprintf(stderr, "usage: zmqbench pub MESSAGES HWM | sub CTRL ENDPOINT... | count IDLE_MS ENDPOINT\n");
    return 2;
}
