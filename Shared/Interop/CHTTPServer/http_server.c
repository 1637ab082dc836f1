#include "chttpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rs_http_server {
    struct MHD_Daemon *daemon;
    rs_http_handler handler;
    void *context;
    uint16_t port;
};

static enum MHD_Result answer(
    void *cls, struct MHD_Connection *connection, const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **request_state) {
    (void)version;
    (void)upload_data;
    rs_http_server *server = cls;
    // Only GET and HEAD: anything with a body is refused before it is read.
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char refused[] = "only GET is served here\n";
        struct MHD_Response *response =
            MHD_create_response_from_buffer(sizeof refused - 1, (void *)refused, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(response, "Allow", "GET, HEAD");
        enum MHD_Result result = MHD_queue_response(connection, MHD_HTTP_METHOD_NOT_ALLOWED, response);
        MHD_destroy_response(response);
        return result;
    }
    if (*request_state == NULL) {  // first call: headers only
        static int seen;
        *request_state = &seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    char *body = NULL;
    size_t length = 0;
    const char *content_type = "text/plain; charset=utf-8";
    int status = server->handler(server->context, url, &body, &length, &content_type);
    struct MHD_Response *response = MHD_create_response_from_buffer(length, body ? body : "", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (response == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result result = MHD_queue_response(connection, (unsigned)status, response);
    MHD_destroy_response(response);
    return result;
}

rs_http_server *rs_http_start(
    const char *host, uint16_t port, rs_http_handler handler, void *context, unsigned connection_limit,
    unsigned timeout_seconds, char *error, size_t error_length) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        snprintf(error, error_length, "'%s' is not an IPv4 address (use 0.0.0.0 for every interface)", host);
        return NULL;
    }
    rs_http_server *server = calloc(1, sizeof *server);
    if (server == NULL) {
        snprintf(error, error_length, "out of memory");
        return NULL;
    }
    server->handler = handler;
    server->context = context;
    errno = 0;
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, port, NULL, NULL, answer, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
        MHD_OPTION_END);
    if (server->daemon == NULL) {
        snprintf(error, error_length, "could not listen on %s:%u: %s", host, (unsigned)port, errno ? strerror(errno) : "libmicrohttpd refused");
        free(server);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : port;
    return server;
}

const char *rs_http_prometheus_content_type(void) { return "text/plain; version=0.0.4; charset=utf-8"; }

uint16_t rs_http_port(const rs_http_server *server) { return server->port; }

void rs_http_stop(rs_http_server *server) {
    if (server == NULL) return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
