/* motion_config.c - strict parsing of a camera's detection settings (sensitivity, durations, zones, masks). */
#include "gateway/motion_config.h"

#include <string.h>

#include "common/util.h"

static int get_uint(const json_t *obj, const char *key, json_int_t lo, json_int_t hi,
    uint32_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || (i = json_integer_value(v)) < lo || i > hi) {
		errf(err, errlen, "detection.%s must be an integer in %lld..%lld", key,
		    (long long)lo, (long long)hi);
		return -1;
	}
	*out = (uint32_t)i;
	return 0;
}

/* [x,y,w,h] in per-mille, inside the frame. */
static int get_rect(const json_t *a, struct motion_rect *r)
{
	json_int_t v[4];
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		const json_t *e = json_array_get(a, i);
		if (!json_is_integer(e) || (v[i] = json_integer_value(e)) < 0 || v[i] > 1000)
			return -1;
	}
	if (v[2] == 0 || v[3] == 0 || v[0] + v[2] > 1000 || v[1] + v[3] > 1000)
		return -1;
	r->x = (uint16_t)v[0];
	r->y = (uint16_t)v[1];
	r->w = (uint16_t)v[2];
	r->h = (uint16_t)v[3];
	return 0;
}

static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > MOTION_ZONE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == ' '))
			return 0;
	}
	return 1;
}

int motion_config_from_json(const json_t *obj, struct motion_params *out, char *err,
    size_t errlen)
{
	static const char *const known[] = { "enabled", "sensitivity", "min_duration_ms",
		"end_hold_ms", "zones", "masks" };
	struct motion_params p;
	const json_t *v, *zs, *ms;
	const char *key;
	size_t i, k;

	motion_params_default(&p);
	if (!json_is_object(obj)) {
		errf(err, errlen, "detection must be an object");
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v) {
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(key, known[k]) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0])) {
			errf(err, errlen, "detection has an unknown key");
			return -1;
		}
	}
	if ((v = json_object_get(obj, "enabled")) != NULL) {
		if (!json_is_boolean(v)) {
			errf(err, errlen, "detection.enabled must be true or false");
			return -1;
		}
		p.enabled = json_is_true(v);
	}
	if (get_uint(obj, "sensitivity", 1, 100, &p.sensitivity, err, errlen) != 0 ||
	    get_uint(obj, "min_duration_ms", 0, MOTION_MIN_DURATION_MAX_MS, &p.min_duration_ms,
	    err, errlen) != 0 ||
	    get_uint(obj, "end_hold_ms", 0, MOTION_END_HOLD_MAX_MS, &p.end_hold_ms, err,
	    errlen) != 0)
		return -1;
	if ((zs = json_object_get(obj, "zones")) != NULL) {
		if (!json_is_array(zs) || json_array_size(zs) > MOTION_MAX_ZONES) {
			errf(err, errlen, "detection.zones must be an array of at most %d", MOTION_MAX_ZONES);
			return -1;
		}
		for (i = 0; i < json_array_size(zs); i++) {
			const json_t *z = json_array_get(zs, i), *nm;
			if (!json_is_object(z) || json_object_size(z) != 2 ||
			    (nm = json_object_get(z, "name")) == NULL || !json_is_string(nm) ||
			    !name_ok(json_string_value(nm), json_string_length(nm)) ||
			    get_rect(json_object_get(z, "rect"), &p.zones[i].r) != 0) {
				errf(err, errlen, "detection.zones[%zu] must be {\"name\":[A-Za-z0-9 _-]{1,%d},"
				    "\"rect\":[x,y,w,h] per-mille inside the frame}", i, MOTION_ZONE_NAME_MAX);
				return -1;
			}
			for (k = 0; k < i; k++)
				if (strcmp(p.zones[k].name, json_string_value(nm)) == 0) {
					errf(err, errlen, "detection.zones[%zu] repeats a name", i);
					return -1;
				}
			memcpy(p.zones[i].name, json_string_value(nm), json_string_length(nm) + 1);
			p.nzones = i + 1;
		}
	}
	if ((ms = json_object_get(obj, "masks")) != NULL) {
		if (!json_is_array(ms) || json_array_size(ms) > MOTION_MAX_MASKS) {
			errf(err, errlen, "detection.masks must be an array of at most %d", MOTION_MAX_MASKS);
			return -1;
		}
		for (i = 0; i < json_array_size(ms); i++) {
			if (get_rect(json_array_get(ms, i), &p.masks[i]) != 0) {
				errf(err, errlen, "detection.masks[%zu] must be [x,y,w,h] per-mille inside "
				    "the frame", i);
				return -1;
			}
			p.nmasks = i + 1;
		}
	}
	if (motion_params_check(&p) != 0) {
		errf(err, errlen, "detection parameters out of range");
		return -1;
	}
	*out = p;
	return 0;
}

int motion_config_parse(const void *p, size_t n, struct motion_params *out, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *j;
	int r;

	if (n > MOTION_CONFIG_MAX_BYTES) {
		errf(err, errlen, "detection too large");
		return -1;
	}
	if ((j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		errf(err, errlen, "detection is not valid JSON");
		return -1;
	}
	r = motion_config_from_json(j, out, err, errlen);
	json_decref(j);
	return r;
}
