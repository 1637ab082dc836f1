#ifndef CHTTPSERVER_H
#define CHTTPSERVER_H
#include <stddef.h>
#include <stdint.h>

/// A thin wrapper over libmicrohttpd for read-only endpoints (Prometheus /metrics): libmicrohttpd's
/// start function is variadic, which Swift cannot call.

/// Answers one GET. Returns the HTTP status; sets *body to a malloc'd buffer (freed by the server)
/// and *length to its size, and *content_type to a static string.
typedef int (*rs_http_handler)(void *context, const char *url, char **body, size_t *length, const char **content_type);

typedef struct rs_http_server rs_http_server;

/// Binds host:port (port 0 picks a free one) and serves on libmicrohttpd's own polling thread.
/// NULL on failure, with the reason in `error`.
rs_http_server *rs_http_start(
    const char *host, uint16_t port, rs_http_handler handler, void *context, unsigned connection_limit,
    unsigned timeout_seconds, char *error, size_t error_length);
/// Prometheus' text exposition format, version 0.0.4.
const char *rs_http_prometheus_content_type(void);
uint16_t rs_http_port(const rs_http_server *server);
void rs_http_stop(rs_http_server *server);

#endif
