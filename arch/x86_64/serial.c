/*
 * serial.c - the 16550 UART on COM1: the console.
 *
 * Output is polled (wait for the transmit FIFO to empty, then fill its 16
 * bytes), so a panic can always print. Input is interrupt driven: the IRQ 4 handler drains
 * the receive FIFO into a ring buffer, which the shell reads from the idle
 * loop. Bytes that arrive while the ring is full are counted, not lost
 * silently.
 *
 * SMP: the interrupt may be taken on any CPU (irq_set_affinity, or
 * irq_affinity=balanced), while the shell reads on CPU 0. rx_lock (taken
 * with interrupts off) covers the ring, both indexes and the drop count:
 * the handler fills under it, serial_getc() empties under it, so the
 * receive FIFO is drained by one CPU at a time and a byte is never read
 * twice or lost between the two. serial_rx_pending() reads the indexes
 * without it, as a hint for the idle loop (a stale answer costs one more
 * pass). When the interrupt ran on another CPU, the handler kicks CPU 0
 * (smp_send_kick), whose idle loop may be halted waiting for input.
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/cpu.h>
#include <arch/spinlock.h>
#include <kernel/printk.h>

#define COM1 0x3f8
#define RX_RING 4096

static uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail;
static uint64_t rx_dropped;
static DEFINE_SPINLOCK(rx_lock);     /* ring, indexes, drop count, the RX FIFO */
static bool serial_present;

/* Program COM1 for 115200 8N1 with FIFOs; detect a missing UART. */
void serial_init(void)
{
	outb(COM1 + 1, 0x00);           /* no interrupts yet */
	outb(COM1 + 3, 0x80);           /* DLAB */
	outb(COM1 + 0, 0x01);           /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);           /* 8N1 */
	outb(COM1 + 2, 0xc7);           /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + 4, 0x0b);           /* DTR, RTS, OUT2 (IRQ gate) */
	outb(COM1 + 7, 0x5a);
	serial_present = inb(COM1 + 7) == 0x5a;
}

/* Write one byte, waiting for room (bounded, in case the UART is absent). */
void serial_putc(char c)
{
	if (!serial_present)
		return;
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

/* Wait (bounded) until the transmit FIFO is empty; false if it never was. */
static bool serial_tx_empty_wait(void)
{
	for (int i = 0; i < 100000; i++) {
		if (inb(COM1 + 5) & 0x20)
			return true;
		cpu_relax();
	}
	return false;
}

/*
 * Write @n bytes, turning "\n" into "\r\n": once the transmit FIFO is empty
 * (LSR bit 5), up to TX_FIFO bytes go in without looking at the status
 * again, so a line costs one status read per 16 bytes instead of one per
 * byte (port I/O is the expensive part under emulation).
 */
#define TX_FIFO 16
void serial_write(const char *s, size_t n)
{
	size_t i = 0;
	bool cr_done = false;           /* the "\r" of s[i] == "\n" went out */

	if (!serial_present)
		return;
	while (i < n) {
		serial_tx_empty_wait();
		for (int room = TX_FIFO; room > 0 && i < n; room--) {
			if (s[i] == '\n' && !cr_done) {
				outb(COM1, '\r');
				cr_done = true;
				continue;
			}
			outb(COM1, (uint8_t)s[i++]);
			cr_done = false;
		}
	}
}

/* IRQ 4: move every received byte into the ring. */
static void serial_irq(struct regs *r, void *ctx)
{
	unsigned long f;
	int got = 0;

	spin_lock_irqsave(&rx_lock, f);
	for (int i = 0; i < 64 && (inb(COM1 + 5) & 1); i++, got++) {
		uint8_t c = inb(COM1);
		uint32_t next = (rx_head + 1) % RX_RING;
		if (next == rx_tail) {
			rx_dropped++;
			continue;
		}
		rx_ring[rx_head] = c;
		rx_head = next;
	}
	spin_unlock_irqrestore(&rx_lock, f);
	if (got && arch_cpu_id() != 0)
		smp_send_kick(0);       /* the shell reads on CPU 0 */
}

/* Route IRQ 4 and enable the receive interrupt. */
void serial_enable_irq(void)
{
	if (!serial_present)
		return;
	irq_register_isa(4, serial_irq, NULL);
	outb(COM1 + 1, 0x01);
	serial_irq(NULL, NULL);         /* anything that arrived before */
}

/* Next buffered input byte, or -1. */
int serial_getc(void)
{
	unsigned long f;
	int c = -1;

	spin_lock_irqsave(&rx_lock, f);
	if (rx_tail != rx_head) {
		c = rx_ring[rx_tail];
		rx_tail = (rx_tail + 1) % RX_RING;
	}
	spin_unlock_irqrestore(&rx_lock, f);
	return c;
}

uint64_t serial_rx_dropped(void) { return rx_dropped; }

bool serial_rx_pending(void) { return rx_head != rx_tail; }
