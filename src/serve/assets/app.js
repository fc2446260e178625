// Renders delegcheck's JSON report (/api/v1/report) for a person. Every string from the
// report goes in through text nodes (textContent), never as markup.
"use strict";

function el(tag, attrs, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of [].concat(children || [])) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return e;
}

function section(title, id, body) {
  return el("section", { "aria-labelledby": id }, [el("h2", { id }, title), ...[].concat(body)]);
}

const VERDICT = {
  ok: ["✓", "Federation works"],
  warning: ["!", "Federation works, with warnings"],
  error: ["✗", "Federation is broken"],
  unknown: ["?", "Not known from here"],
};

function verdict(r) {
  const [mark, words] = VERDICT[r.status] || ["?", r.status];
  return el("div", { id: "verdict", class: "verdict " + r.status, "data-status": r.status }, [
    el("span", { class: "mark", "aria-hidden": "true" }, mark),
    el("span", {}, [el("strong", {}, r.server_name), " ", words]),
  ]);
}

function reach(r) {
  const rows = (r.compatibility || []).map((c) => {
    const state = c.reachable === true ? "yes" : c.reachable === false ? "no" : "unknown";
    const label = { yes: "reaches you", no: "cannot reach you", unknown: "not checked" }[state];
    return el("li", { class: "reach " + state }, [
      el("strong", {}, c.implementation_label || labelOf(c.implementation)),
      " " + label,
      c.reason ? el("span", { class: "why" }, " — " + c.reason) : null,
    ]);
  });
  return section("Who can reach you", "h-reach", el("ul", { class: "plain" }, rows));
}

function labelOf(impl) {
  return { synapse: "Synapse", dendrite: "Dendrite", conduwuit: "conduwuit family" }[impl] || impl;
}

function trace(r) {
  const d = r.discovery || {};
  const rows = (d.steps || []).map((s) =>
    el("tr", { class: s.decisive ? "decisive" : null }, [
      el("td", {}, s.step || ""),
      el("td", {}, s.query),
      el("td", {}, s.answer),
      el("td", {}, s.meaning),
    ])
  );
  const head = el("tr", {}, ["Step", "Lookup", "Answer", "Meaning"].map((h) => el("th", { scope: "col" }, h)));
  const table = el("div", { class: "scroll" }, el("table", {}, [el("thead", {}, head), el("tbody", {}, rows)]));
  const note = d.step ? el("p", {}, "Decided by step " + d.step + " of the spec's resolution.") : null;
  return section("Discovery", "h-trace", [note, table]);
}

function targets(r) {
  const items = (r.targets || []).map((t) => {
    const checks = (t.checks || []).map((c) =>
      el("li", { class: "check " + c.status }, [el("span", { class: "badge" }, c.status), " " + c.name + ": " + c.detail])
    );
    return el("li", { class: "target" }, [
      el("strong", {}, t.address),
      t.fallback ? " (fallback)" : "",
      t.ok ? " ✓ works" : " ✗ does not work",
      t.not_checked ? el("p", { class: "why" }, t.not_checked) : null,
      el("ul", { class: "plain" }, checks),
    ]);
  });
  if (!items.length) items.push(el("li", {}, "No address to connect to."));
  return section("Targets", "h-targets", el("ul", { class: "plain" }, items));
}

// `fixes` (when the report has them): each names the finding codes it resolves, the file, the
// snippet and how to reload; shown under each finding it resolves, and all together in "How
// to fix". Field names are read leniently, so a report without them renders as before.
function fixCodes(x) {
  const codes = [].concat(x.codes || x.resolves || x.findings || [], x.code || x.finding || []);
  return codes.filter((c) => typeof c === "string");
}

function fixesFor(r, f) {
  const all = Array.isArray(r.fixes) ? r.fixes : [];
  return all.filter((x) => x && typeof x === "object" && fixCodes(x).includes(f.code));
}

function fixBlock(fix) {
  const parts = [];
  const title = [fix.stack, fix.file].filter((v) => typeof v === "string").join(": ");
  if (title) parts.push(el("p", {}, el("strong", {}, title)));
  for (const [k, v] of Object.entries(fix)) {
    if (["code", "codes", "finding", "findings", "resolves", "stack", "file"].includes(k)) continue;
    if (typeof v === "string") {
      parts.push(v.includes("\n") || k === "snippet" ? el("pre", { class: "snippet" }, v) : el("p", {}, [el("strong", {}, k + ": "), v]));
    }
  }
  return el("div", { class: "fix" }, parts);
}

// Fixes no finding above shows (every fix is somewhere on the page).
function howToFix(r) {
  const shown = new Set((r.findings || []).map((f) => f.code));
  const rest = (Array.isArray(r.fixes) ? r.fixes : []).filter(
    (x) => x && typeof x === "object" && !fixCodes(x).some((c) => shown.has(c))
  );
  if (!rest.length) return null;
  return section("How to fix", "h-fixes", rest.map(fixBlock));
}

function findings(r) {
  // A fix that resolves several findings is shown once, under the first; the others point to it.
  const shownUnder = new Map();
  const fixesOf = (f) =>
    fixesFor(r, f).map((x) => {
      if (shownUnder.has(x)) {
        return el("p", { class: "hint" }, ["The change shown under ", el("code", {}, shownUnder.get(x)), " fixes this too."]);
      }
      shownUnder.set(x, f.code);
      return fixBlock(x);
    });
  const items = (r.findings || []).map((f) =>
    el("li", { class: "finding " + f.severity, "data-code": f.code }, [
      el("span", { class: "badge" }, f.severity),
      " ",
      el("code", {}, f.code),
      f.target ? " at " + f.target : "",
      el("p", {}, f.message),
      f.hint ? el("p", { class: "hint" }, [el("strong", {}, "Fix: "), f.hint]) : null,
      ...fixesOf(f),
    ])
  );
  if (!items.length) items.push(el("li", {}, "Nothing to fix."));
  return section("Findings", "h-findings", el("ul", { class: "plain" }, items));
}

// `client` (when the report has one): client discovery. Where the homeserver (and identity
// server) points and what native and web clients reach, the steps, then any other plain field.
function clientSide(label, side) {
  const outcome = (o) =>
    o && typeof o === "object" && o.state ? o.state + (o.reason ? " (" + o.reason + ")" : "") : "not known";
  return el("li", { class: "client-side" }, [
    el("strong", {}, label + ": "),
    typeof side.base_url === "string" ? side.base_url : "nothing published",
    el("br"),
    "native clients: " + outcome(side.native),
    el("br"),
    "web clients: " + outcome(side.web),
  ]);
}

function client(r) {
  const c = r.client;
  if (!c || typeof c !== "object") return null;
  const rows = [];
  if (typeof c.ok === "boolean") {
    rows.push(el("li", { class: "reach " + (c.ok ? "yes" : "no") }, c.ok ? "Clients can sign in with a user ID on this server name." : "Clients cannot sign in with a user ID on this server name."));
  }
  for (const [key, label] of [["homeserver", "Homeserver"], ["identity_server", "Identity server"]]) {
    if (c[key] && typeof c[key] === "object") rows.push(clientSide(label, c[key]));
  }
  for (const [k, v] of Object.entries(c)) {
    if (k !== "ok" && (v === null || typeof v !== "object")) {
      rows.push(el("li", {}, [el("strong", {}, k.replace(/_/g, " ") + ": "), String(v)]));
    }
  }
  const steps = (Array.isArray(c.steps) ? c.steps : []).map((s) =>
    el("li", {}, [String(s.query || ""), " → ", String(s.answer || ""), s.outcome ? " (" + s.outcome + ")" : ""])
  );
  return section("Clients", "h-client", [
    el("ul", { class: "plain" }, rows),
    steps.length ? el("ul", { class: "plain steps" }, steps) : null,
  ]);
}

function families(r) {
  const f = r.families || {};
  const word = (v) => (v === true ? "works" : v === false ? "broken" : "no address");
  return el("p", { class: "families" }, "IPv4: " + word(f.ipv4) + " · IPv6: " + word(f.ipv6));
}

function render(r) {
  const out = document.getElementById("report");
  out.replaceChildren(
    verdict(r),
    families(r),
    reach(r),
    findings(r),
    howToFix(r) || "",
    client(r) || "",
    trace(r),
    targets(r),
    el("p", { class: "meta" }, "Checked " + r.checked_at + " in " + ((r.timings || {}).total_ms || 0) + " ms · delegcheck " + r.tool_version)
  );
  out.hidden = false;
}

function say(text) {
  document.getElementById("status").textContent = text;
}

async function check(name) {
  say("Checking " + name + "…");
  document.getElementById("report").hidden = true;
  try {
    const res = await fetch("/api/v1/report?server_name=" + encodeURIComponent(name), { headers: { Accept: "application/json" } });
    if (!res.ok) {
      const why = (await res.text()).trim();
      say(res.status === 429 ? why + " (too many checks: wait a little)" : "The check could not run: " + why);
      return;
    }
    const report = await res.json();
    render(report);
    const words = (VERDICT[report.status] || ["", report.status])[1];
    say(report.server_name + ": " + words + ".");
  } catch (e) {
    say("The check could not run: " + e.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const name = new URLSearchParams(location.search).get("server_name");
  if (name) {
    document.getElementById("server_name").value = name;
    document.title = name + " · delegcheck";
    check(name.trim());
  }
});
