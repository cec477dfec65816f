// SPDX-License-Identifier: GPL-2.0
/* Errors and notes; errors go through the output layer (JSON under --json). */
#include <stdarg.h>
#include <stdio.h>

#include "np.h"
#include "out.h"

static void report(struct np_ctx *ctx, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	out_error(ctx ? ctx->out : NULL, msg);
}

int np_err(struct np_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, fmt, ap);
	va_end(ap);
	return NP_EXIT_FAIL;
}

int np_usage(struct np_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, fmt, ap);
	va_end(ap);
	return NP_EXIT_USAGE;
}

static void note(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void np_info(struct np_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	note("", fmt, ap);
	va_end(ap);
}

void np_warn(struct np_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	note("Warning: ", fmt, ap);
	va_end(ap);
}

void np_debug(struct np_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbose < 1)
		return;
	va_start(ap, fmt);
	note("debug: ", fmt, ap);
	va_end(ap);
}
