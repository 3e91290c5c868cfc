// SPDX-License-Identifier: GPL-2.0
/*
 * The console: the terminal behind the guest's UART.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

void console_flush(struct console *con)
{
	size_t done = 0;
	ssize_t n;

	while (done < con->out_len && !con->out_broken) {
		n = write(STDOUT_FILENO, con->out + done, con->out_len - done);
		if (n < 0 && errno != EINTR)
			con->out_broken = true;	/* e.g. EPIPE: nobody reads */
		else if (n > 0)
			done += n;
	}
	con->out_len = 0;
}

void console_tx(void *opaque, uint8_t byte)
{
	struct console *con = opaque;

	if (con->out_len == sizeof(con->out))
		console_flush(con);
	con->out[con->out_len++] = byte;
	con->mid_line = byte != '\n';
}

/*
 * A message while the guest runs: after the guest's output so far, and on
 * a line of its own where both go to the same terminal.
 */
__printf(2, 3)
void console_error(struct console *con, const char *fmt, ...)
{
	va_list ap;

	console_flush(con);
	if (con->mid_line && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	con->mid_line = false;
	va_start(ap, fmt);
	vmm_verror(con->name, fmt, ap);
	va_end(ap);
}

/*
 * A terminal hands over each key as it is typed, unechoed and untranslated
 * (Enter stays '\r', as on a serial line). ISIG stays on, so ^C still
 * stops vessel rather than reaching the guest.
 */
void console_open(struct console *con)
{
	struct termios t;

	con->in_open = true;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &con->saved))
		return;
	t = con->saved;
	t.c_lflag &= ~(ICANON | ECHO | ECHONL | IEXTEN);
	t.c_iflag &= ~(ICRNL | INLCR | IGNCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	con->tty_raw = !tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

void console_close(struct console *con)
{
	console_flush(con);
	if (con->tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &con->saved);
	con->tty_raw = false;
}

/*
 * Read what stdin has, at most @room bytes: only the main thread reads
 * stdin and touches con->in_open, and it does so without the lock, once
 * poll() said there is input. Returns how many bytes came; at EOF or on an
 * error stdin is given up.
 */
size_t console_read(struct console *con, uint8_t *buf, size_t room)
{
	ssize_t n = read(STDIN_FILENO, buf, room);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		con->in_open = false;
		return 0;
	}
	return n;
}
