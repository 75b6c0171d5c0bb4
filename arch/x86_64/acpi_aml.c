/*
 * acpi_aml.c - a walker over the constant parts of the DSDT's AML, enough
 * to find devices that firmware describes only there: QEMU's microvm puts
 * its virtio-mmio slots (_HID "LNRO0005"), its PCIe host bridge (_HID
 * "PNP0A08": _CBA gives the ECAM base, _CRS the bus range and the MMIO
 * windows) and the bridge's INTx link devices (_HID "PNP0C0F", one GSI
 * each) in the DSDT, and has no MCFG table.
 *
 * Data structures: none persistent. The walk is recursive over Scope and
 * Device bodies (each carries its own PkgLength, so the end of a body is
 * known before it is parsed); inside a Device it records _HID (string or
 * EISA id), _UID (integer), _CBA (a method whose body is `Return (const)`)
 * and _CRS (a Buffer, decoded as a resource template).
 *
 * Invariants: every read is bounded by the end of the enclosing body;
 * an opcode the walker does not know ends the walk of that body only (its
 * parent continues after it), so unknown AML hides at most the rest of one
 * scope, never reads out of bounds and never loops: each step advances.
 * Nesting is bounded (16 levels).
 */
#include <arch/x86.h>
#include <stdio.h>
#include <string.h>

#define AML_MAX_DEPTH 16

struct aml_walk {
	const char *hid;
	void (*fn)(const struct acpi_device *d, void *arg);
	void *arg;
	unsigned matched;
};

/* Read a little-endian integer of @n bytes. */
static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Decode a PkgLength at @p; sets *len (bytes from @p) and returns its size, 0 if bad. */
static unsigned pkg_length(const uint8_t *p, const uint8_t *end, size_t *len)
{
	unsigned extra;
	size_t v;

	if (p >= end)
		return 0;
	extra = p[0] >> 6;
	if (p + 1 + extra > end)
		return 0;
	if (!extra) {
		*len = p[0] & 0x3f;
		return 1;
	}
	v = p[0] & 0x0f;
	for (unsigned i = 0; i < extra; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	*len = v;
	return 1 + extra;
}

/* Skip a NameString; its last 4-character segment is copied to @seg. NULL if bad. */
static const uint8_t *name_string(const uint8_t *p, const uint8_t *end, char seg[5])
{
	unsigned nseg = 1;

	while (p < end && (*p == '\\' || *p == '^'))
		p++;
	if (p >= end)
		return NULL;
	if (*p == 0x00) {
		seg[0] = 0;
		return p + 1;
	}
	if (*p == 0x2e) {
		nseg = 2;
		p++;
	} else if (*p == 0x2f) {
		if (p + 2 > end)
			return NULL;
		nseg = p[1];
		p += 2;
	}
	if (nseg == 0 || p + 4 * nseg > end)
		return NULL;
	memcpy(seg, p + 4 * (nseg - 1), 4);
	seg[4] = 0;
	return p + 4 * nseg;
}

/*
 * Parse a constant data object at @p: integers set *ival (and *is_int),
 * strings and buffers set *data and *dlen. Returns the end of the object,
 * NULL for anything that is not a constant.
 */
static const uint8_t *data_object(const uint8_t *p, const uint8_t *end, uint64_t *ival,
				  bool *is_int, const uint8_t **data, size_t *dlen)
{
	static const unsigned int_size[16] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4, [0x0e] = 8 };
	size_t len;
	unsigned n;

	*is_int = false;
	*data = NULL;
	if (p >= end)
		return NULL;
	switch (*p) {
	case 0x00: case 0x01: case 0xff:
		*ival = *p == 0xff ? ~0ull : *p;
		*is_int = true;
		return p + 1;
	case 0x0a: case 0x0b: case 0x0c: case 0x0e:
		n = int_size[*p];
		if (p + 1 + n > end)
			return NULL;
		*ival = le(p + 1, n);
		*is_int = true;
		return p + 1 + n;
	case 0x0d:
		for (const uint8_t *q = p + 1; q < end; q++)
			if (*q == 0) {
				*data = p + 1;
				*dlen = (size_t)(q - p - 1);
				return q + 1;
			}
		return NULL;
	case 0x11: case 0x12: case 0x13: {	/* Buffer, Package, VarPackage */
		const uint8_t *body;
		uint64_t size;
		bool si;
		const uint8_t *d2;
		size_t l2;

		n = pkg_length(p + 1, end, &len);
		if (!n || len < n || p + 1 + len > end)
			return NULL;
		if (*p == 0x11) {
			body = data_object(p + 1 + n, p + 1 + len, &size, &si, &d2, &l2);
			if (body && si) {
				*data = body;
				*dlen = MIN((size_t)(p + 1 + len - body), (size_t)size);
			}
		}
		return p + 1 + len;
	}
	}
	return NULL;
}

/* "PNP0A08" from a compressed EISA id (a _HID given as an integer). */
static void eisa_id_string(uint32_t v, char out[16])
{
	static const char hex[] = "0123456789ABCDEF";
	uint32_t id = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);

	out[0] = (char)('@' + ((id >> 26) & 0x1f));
	out[1] = (char)('@' + ((id >> 21) & 0x1f));
	out[2] = (char)('@' + ((id >> 16) & 0x1f));
	for (int i = 0; i < 4; i++)
		out[3 + i] = hex[(id >> (12 - 4 * i)) & 0xf];
	out[7] = 0;
}

/* Decode resource template @p[0..len) into @d (memory, bus range, interrupts). */
static void parse_crs(const uint8_t *p, size_t len, struct acpi_device *d)
{
	const uint8_t *end = p + len;

	d->has_crs = true;
	while (p < end) {
		size_t dl;
		const uint8_t *b;

		if (!(*p & 0x80)) {		/* small item */
			if (((*p >> 3) & 0xf) == 0xf)
				return;		/* end tag */
			p += 1 + (*p & 7);
			continue;
		}
		if (p + 3 > end)
			return;
		dl = le(p + 1, 2);
		b = p + 3;
		if (b + dl > end)
			return;
		switch (*p) {
		case 0x86:			/* Memory32Fixed */
			if (dl >= 9 && d->nmem < ACPI_MAX_RES)
				d->mem[d->nmem++] = (struct acpi_res_mem){ le(b + 1, 4), le(b + 5, 4) };
			break;
		case 0x87: case 0x88: case 0x8a: {	/* DWord, Word, QWord address space */
			unsigned w = *p == 0x87 ? 4 : *p == 0x88 ? 2 : 8;

			if (dl < 3 + 5 * w)
				break;
			if (b[0] == 0 && d->nmem < ACPI_MAX_RES)
				d->mem[d->nmem++] = (struct acpi_res_mem){ le(b + 3 + w, w),
									   le(b + 3 + 4 * w, w) };
			else if (b[0] == 2) {
				d->has_bus = true;
				d->bus_min = (uint16_t)le(b + 3 + w, w);
				d->bus_max = (uint16_t)le(b + 3 + 2 * w, w);
			}
			break;
		}
		case 0x89:			/* Extended Interrupt */
			if (dl < 2)
				break;
			if (d->nirq == 0) {
				d->irq_level = !(b[0] & 2);
				d->irq_active_low = (b[0] & 4) != 0;
			}
			for (unsigned i = 0; i < b[1] && 2 + 4 * (i + 1) <= dl && d->nirq < ACPI_MAX_RES; i++)
				d->irq[d->nirq++] = (uint32_t)le(b + 2 + 4 * i, 4);
			break;
		}
		p = b + dl;
	}
}

static void walk_body(struct aml_walk *w, const uint8_t *p, const uint8_t *end,
		      struct acpi_device *dev, unsigned depth);

/* A Name(seg, value) inside a device: record _HID, _UID, _CRS. NULL if not constant. */
static const uint8_t *do_name(const uint8_t *p, const uint8_t *end, struct acpi_device *dev)
{
	char seg[5];
	uint64_t iv = 0;
	bool is_int;
	const uint8_t *data, *next;
	size_t dlen = 0;

	p = name_string(p, end, seg);
	if (!p)
		return NULL;
	next = data_object(p, end, &iv, &is_int, &data, &dlen);
	if (!next || !dev)
		return next;
	if (!strcmp(seg, "_HID")) {
		if (is_int)
			eisa_id_string((uint32_t)iv, dev->hid);
		else if (data && *p == 0x0d)
			snprintf(dev->hid, sizeof(dev->hid), "%.*s", (int)dlen, (const char *)data);
	} else if (!strcmp(seg, "_UID") && is_int) {
		dev->uid = (int64_t)iv;
	} else if (!strcmp(seg, "_CRS") && data && *p == 0x11) {
		parse_crs(data, dlen, dev);
	}
	return next;
}

/* A Method: only `_CBA` returning a constant is of interest. */
static void do_method(const uint8_t *p, const uint8_t *end, struct acpi_device *dev)
{
	char seg[5];
	uint64_t iv;
	bool is_int;
	const uint8_t *data;
	size_t dlen;

	p = name_string(p, end, seg);
	if (!p || !dev || strcmp(seg, "_CBA") || p + 2 > end)
		return;
	p++;				/* MethodFlags */
	if (*p == 0xa4 && data_object(p + 1, end, &iv, &is_int, &data, &dlen) && is_int)
		dev->cba = iv;
}

/* A Device: walk its body into a fresh record; report it if its _HID matches. */
static void do_device(struct aml_walk *w, const uint8_t *p, const uint8_t *end, unsigned depth)
{
	struct acpi_device d;
	char seg[5];

	memset(&d, 0, sizeof(d));
	d.uid = -1;
	p = name_string(p, end, seg);
	if (!p)
		return;
	walk_body(w, p, end, &d, depth + 1);
	if (!strcmp(d.hid, w->hid)) {
		w->matched++;
		w->fn(&d, w->arg);
	}
}

/* Walk a TermList [p, end); @dev is the enclosing device (NULL in a scope). */
static void walk_body(struct aml_walk *w, const uint8_t *p, const uint8_t *end,
		      struct acpi_device *dev, unsigned depth)
{
	if (depth > AML_MAX_DEPTH)
		return;
	while (p < end) {
		const uint8_t *op = p;
		size_t len;
		unsigned n;
		char seg[5];

		if (*p == 0x08) {			/* Name */
			p = do_name(p + 1, end, dev);
			if (!p)
				return;
			continue;
		}
		if (*p == 0x10 || *p == 0x14 || *p == 0xa0 || *p == 0xa1) {
			/* Scope, Method, If, Else: PkgLength-delimited */
			n = pkg_length(p + 1, end, &len);
			if (!n || len < n || p + 1 + len > end)
				return;
			if (*op == 0x10) {
				const uint8_t *b = name_string(p + 1 + n, p + 1 + len, seg);

				if (b)
					walk_body(w, b, p + 1 + len, NULL, depth + 1);
			} else if (*op == 0x14) {
				do_method(p + 1 + n, p + 1 + len, dev);
			}
			p += 1 + len;
			continue;
		}
		if (*p == 0x5b && p + 1 < end) {
			uint8_t ext = p[1];

			if (ext == 0x80) {		/* OperationRegion name space offset len */
				uint64_t iv;
				bool ii;
				const uint8_t *d;
				size_t dl;

				p = name_string(p + 2, end, seg);
				if (!p || p + 1 > end)
					return;
				p = data_object(p + 1, end, &iv, &ii, &d, &dl);
				if (p)
					p = data_object(p, end, &iv, &ii, &d, &dl);
				if (!p)
					return;
				continue;
			}
			if (ext == 0x81 || ext == 0x82 || ext == 0x83 || ext == 0x84 || ext == 0x85 ||
			    ext == 0x86) {		/* Field, Device, Processor, PowerRes, ThermalZone, IndexField */
				n = pkg_length(p + 2, end, &len);
				if (!n || len < n || p + 2 + len > end)
					return;
				if (ext == 0x82)
					do_device(w, p + 2 + n, p + 2 + len, depth);
				p += 2 + len;
				continue;
			}
		}
		return;		/* unknown here: give up on the rest of this body */
	}
}

unsigned acpi_aml_for_each_device(const uint8_t *aml, size_t len, const char *hid,
				  void (*fn)(const struct acpi_device *d, void *arg), void *arg)
{
	struct aml_walk w = { hid, fn, arg, 0 };

	walk_body(&w, aml, aml + len, NULL, 0);
	return w.matched;
}

unsigned acpi_for_each_device(const char *hid, void (*fn)(const struct acpi_device *d, void *arg),
			      void *arg)
{
	const uint8_t *t;
	uint32_t len;

	if (!acpi.dsdt)
		return 0;
	t = phys_map_any(acpi.dsdt, 36);
	len = *(const uint32_t *)(t + 4);
	if (len <= 36 || len > (1u << 20))
		return 0;
	t = phys_map_any(acpi.dsdt, len);
	return acpi_aml_for_each_device(t + 36, len - 36, hid, fn, arg);
}
