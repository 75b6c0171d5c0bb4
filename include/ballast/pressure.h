/*
 * ballast/pressure.h - memory pressure notifications, for applications that
 * prefer to react themselves rather than (or as well as) be shrunk.
 *
 * Levels, by free pages: LOW below `low`, CRITICAL below `critical`; a
 * level is left only once free pages are `hyst` above its threshold
 * (hysteresis: no flapping around a threshold). Defaults: low = RAM/16,
 * critical = RAM/64, hyst = RAM/128. The level is evaluated in the
 * allocation slow path and each time the application waits
 * (ballast_poll, reading stdin); @fn is called on every change, NONE
 * after LOW or CRITICAL meaning "recovered". @fn may run inside an
 * allocation: it must not allocate; note the level and act later.
 */
#ifndef BALLAST_PRESSURE_H
#define BALLAST_PRESSURE_H

enum ballast_pressure {
	BALLAST_PRESSURE_NONE,
	BALLAST_PRESSURE_LOW,
	BALLAST_PRESSURE_CRITICAL,
};

struct ballast_pressure_watch;

struct ballast_pressure_watch *ballast_pressure_watch(
		void (*fn)(void *priv, enum ballast_pressure level, unsigned long free_pages), void *priv);
/* Stop and free; returns once no other CPU is calling fn (interrupts on). */
void ballast_pressure_unwatch(struct ballast_pressure_watch *w);
enum ballast_pressure ballast_pressure_level(void);
/* Thresholds in pages; -EINVAL unless critical < low. */
int ballast_pressure_set(unsigned long low, unsigned long critical, unsigned long hyst);
void ballast_pressure_get(unsigned long *low, unsigned long *critical, unsigned long *hyst);

#endif
