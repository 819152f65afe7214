// gridpages.test.mjs - the live grid's pages in node (web/gridpages.js): cut by site and page size, the page clamped, sites named and sorted.
// Usage: node gridpages.test.mjs WEBDIR   (prints PASS/FAIL lines)
import { pathToFileURL } from 'node:url';

const [webDir] = process.argv.slice(2);
const { pageOf, sitesOf, LAYOUTS, DEFAULT_PER_PAGE } = await import(pathToFileURL(`${webDir}/gridpages.js`).href);
let failures = 0;
const check = (name, ok, why) => {
	if (ok) {
		console.log(`PASS ${name}`);
	} else {
		failures++;
		console.log(`FAIL ${name}: ${why}`);
	}
};
const A = 'a'.repeat(32), B = 'b'.repeat(32);
const cams = Array.from({ length: 37 }, (_, i) => ({ id: String(i), name: `cam${i}`, site: i < 30 ? A : i < 36 ? B : null }));

let p = pageOf(cams, { site: '', perPage: 16, page: 0 });
check('all_sites_first_page', p.items.length === 16 && p.pages === 3 && p.total === 37 && p.items[0].id === '0', JSON.stringify(p));
p = pageOf(cams, { site: '', perPage: 16, page: 2 });
check('last_page_partial', p.items.length === 5 && p.items[4].id === '36', JSON.stringify(p.items.map((c) => c.id)));
p = pageOf(cams, { site: '', perPage: 16, page: 9 });
check('page_clamped', p.page === 2, String(p.page));
p = pageOf(cams, { site: B, perPage: 4, page: 1 });
check('one_site_paged', p.total === 6 && p.pages === 2 && p.items.map((c) => c.id).join() === '34,35', JSON.stringify(p));
p = pageOf(cams, { site: '', perPage: 7, page: 0 });
check('unknown_layout_is_default', p.items.length === DEFAULT_PER_PAGE && LAYOUTS.includes(16), String(p.items.length));
p = pageOf([], { site: '', perPage: 4, page: 3 });
check('empty_one_page', p.pages === 1 && p.page === 0 && p.items.length === 0, JSON.stringify(p));
const s = sitesOf(cams, [{ id: B, name: 'Annex' }, { id: A, name: 'Warehouse' }]);
check('sites_named_sorted', s.length === 2 && s[0].name === 'Annex' && s[1].name === 'Warehouse', JSON.stringify(s));
const u = sitesOf(cams, []);
check('unnamed_site_by_id', u.length === 2 && u.every((x) => /^site [ab]{8}$/.test(x.name)), JSON.stringify(u));
process.exit(failures > 0 ? 1 : 0);
