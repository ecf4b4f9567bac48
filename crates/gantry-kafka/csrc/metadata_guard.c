/*
 * A guard around one librdkafka 2.12.1 crash (the newest bundled by rdkafka-sys).
 *
 * When a Fetch or Produce response carries KIP-951 leader-discovery tags,
 * librdkafka queues a metadata update whose topics are named by topic id only
 * (the name is NULL). If that id is zero -- Fetch below v13 names topics, and a
 * broker may answer a deleted topic with a zero id -- rd_kafka_metadata_update_op
 * looks the topic up by its NULL name and strcmp() dereferences it: SIGSEGV in
 * thread rdk:main. A topic without a name is not in the cache, so answering
 * "not found" is what librdkafka does for any unknown topic: it logs and skips
 * that topic's leader hint; the regular metadata refresh still runs.
 *
 * The `gantry` binary links with -Wl,--wrap=rd_kafka_metadata_cache_find (see the
 * root build.rs), so librdkafka's calls land here. __real_ is weak so that a
 * target linked without --wrap (a crate's own unit tests) still links; there the
 * wrapper is never called.
 */
#include <stddef.h>

struct rd_kafka_s;
struct rd_kafka_metadata_cache_entry;

extern struct rd_kafka_metadata_cache_entry *
__real_rd_kafka_metadata_cache_find(struct rd_kafka_s *rk, const char *topic,
                                    int valid) __attribute__((weak));

struct rd_kafka_metadata_cache_entry *
__wrap_rd_kafka_metadata_cache_find(struct rd_kafka_s *rk, const char *topic,
                                    int valid) {
        if (topic == NULL || __real_rd_kafka_metadata_cache_find == NULL)
                return NULL;
        return __real_rd_kafka_metadata_cache_find(rk, topic, valid);
}

/* Whether this binary was linked with the wrap (the guard is active). */
int gantry_metadata_guard_active(void) {
        return __real_rd_kafka_metadata_cache_find != NULL;
}
