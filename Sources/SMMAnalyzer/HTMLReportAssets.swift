/// The stylesheet and script inlined into every HTML report.
enum HTMLReportAssets {
    static let stylesheet = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0 2em 2em; color: #222; background: #fafafa; }
        h1 { font-size: 1.4em; margin: 0.8em 0 0.2em; } h2 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
        .note { color: #666; font-size: 0.9em; margin: 0.2em 0 0.6em; }
        .status { color: #b00; }
        .map { display: flex; flex-wrap: wrap; gap: 1px; background: #fff; border: 1px solid #ccc; padding: 4px; }
        .map div { height: 22px; border-radius: 2px; overflow: hidden; font-size: 10px; line-height: 22px;
                   white-space: nowrap; text-overflow: ellipsis; color: #222; padding: 0 2px; box-sizing: border-box; }
        .map div.free { background-image: repeating-linear-gradient(45deg, #eee 0 4px, #f8f8f8 4px 8px); color: #999; }
        .legend { margin-top: 6px; } .legend span { display: inline-block; margin-right: 1em; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -0.1em; margin-right: 0.3em; }
        table { border-collapse: collapse; background: #fff; }
        th, td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
        th:first-child, td:first-child, td.text, th.text { text-align: left; }
        th { background: #f0f0f0; position: sticky; top: 0; }
        table.sortable th { cursor: pointer; user-select: none; }
        table.sortable th.sorted::after { content: " ▾"; } table.sortable th.sorted.ascending::after { content: " ▴"; }
        tr.total td { font-weight: bold; border-top: 2px solid #ccc; }
        td.name { text-align: left; max-width: 40em; overflow: hidden; text-overflow: ellipsis; }
        svg text { font-size: 11px; fill: #444; }
        """

    static let script = #"""
        (function () {
          "use strict";
          var body = document.body;
          try {
            var data = JSON.parse(document.getElementById("smm-data").textContent);
            var colors = {};
            data.categories.forEach(function (c) { colors[c.category] = c.color; });

            function bytes(value) {
              if (!value) return "0";
              if (value < 1024) return value + " B";
              var units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"], unit = -1;
              do { value /= 1024; unit++; } while (value >= 1024 && unit < units.length - 1);
              return (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10) + " " + units[unit];
            }
            function escapeText(text) {
              return String(text).replace(/[&<>"']/g, function (c) {
                return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
              });
            }
            function element(tag, attributes, text) {
              var node = document.createElement(tag);
              Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
              if (text !== undefined) node.textContent = text;
              return node;
            }

            document.getElementById("meta").textContent = "Captured " + new Date(data.capturedAt * 1000).toISOString() +
              " · " + data.regions.filter(function (r) { return r.category !== "Free"; }).length + " regions · " +
              data.threads.length + " threads · largest free block " + bytes(data.largestFree);

            // Address-space map: width grows with log2(size), so 4 KiB and 40 TiB both stay readable.
            var map = document.getElementById("map");
            var fragment = document.createDocumentFragment();
            data.regions.forEach(function (region) {
              var width = Math.round(8 + 9 * Math.log2(region.size / 4096 + 1));
              var block = element("div", {
                title: region.start + "-" + region.end + " " + region.category + " " + bytes(region.size) +
                  " (resident " + bytes(region.figures.resident) + ") " + region.name
              }, width > 60 ? region.name.split("/").pop() : "");
              block.style.width = width + "px";
              block.style.background = colors[region.category];
              if (region.category === "Free") block.className = "free";
              fragment.appendChild(block);
            });
            map.appendChild(fragment);

            var legend = document.getElementById("legend");
            data.categories.forEach(function (c) {
              var item = element("span");
              var swatch = element("i", { "class": "swatch" });
              swatch.style.background = c.color;
              item.appendChild(swatch);
              item.appendChild(document.createTextNode(c.category));
              legend.appendChild(item);
            });

            // Category summary.
            var summary = document.getElementById("summary");
            var head = "<tr><th>Type</th>" + data.headings.map(function (h) { return "<th>" + h + "</th>"; }).join("") + "<th>Regions</th></tr>";
            var totals = {}, totalRegions = 0;
            data.fields.forEach(function (f) { totals[f] = 0; });
            var rows = data.categories.map(function (c) {
              if (c.category !== "Free") {
                data.fields.forEach(function (f) { totals[f] += c.figures[f]; });
                totalRegions += c.regions;
              }
              return "<tr><td><i class=\"swatch\" style=\"background:" + c.color + "\"></i>" + escapeText(c.category) + "</td>" +
                data.fields.map(function (f) { return "<td>" + bytes(c.figures[f]) + "</td>"; }).join("") + "<td>" + c.regions + "</td></tr>";
            });
            rows.push("<tr class=\"total\"><td>Total</td>" + data.fields.map(function (f) { return "<td>" + bytes(totals[f]) + "</td>"; }).join("") +
              "<td>" + totalRegions + "</td></tr>");
            summary.innerHTML = head + rows.join("");

            // Threads.
            document.getElementById("threads").innerHTML = "<tr><th>TID</th><th class=\"text\">Thread</th><th class=\"text\">State</th><th class=\"text\">Stack</th></tr>" +
              data.threads.map(function (t) {
                var stack = t.stackStart !== undefined && t.stackStart !== null ? bytes(t.stackEnd - t.stackStart) : "unknown";
                return "<tr><td>" + t.tid + "</td><td class=\"text\">" + escapeText(t.name) + "</td><td class=\"text\">" + t.state +
                  "</td><td class=\"text\">" + stack + "</td></tr>";
              }).join("");

            // Sortable, filterable region table.
            var limit = 5000;
            var details = document.getElementById("details");
            var filter = document.getElementById("filter");
            data.categories.forEach(function (c) { filter.appendChild(element("option", { value: c.category }, c.category)); });
            var columns = [{ key: "start", title: "Address", text: true }, { key: "perm", title: "Perm", text: true },
                           { key: "category", title: "Type", text: true }]
              .concat(data.fields.map(function (f, i) { return { key: f, title: data.headings[i] }; }))
              .concat([{ key: "name", title: "Details", text: true }]);
            var sortKey = "start", ascending = true;
            function value(region, key) { return region.figures[key] !== undefined ? region.figures[key] : region[key]; }
            function renderDetails() {
              var chosen = data.regions.filter(function (r) { return !filter.value || r.category === filter.value; });
              chosen.sort(function (a, b) {
                var x = value(a, sortKey), y = value(b, sortKey);
                var order = x < y ? -1 : x > y ? 1 : 0;
                return ascending ? order : -order;
              });
              var header = "<tr>" + columns.map(function (c) {
                var classes = (c.text ? "text " : "") + (c.key === sortKey ? "sorted" + (ascending ? " ascending" : "") : "");
                return "<th data-key=\"" + c.key + "\" class=\"" + classes + "\">" + c.title + "</th>";
              }).join("") + "</tr>";
              var body = chosen.slice(0, limit).map(function (r) {
                return "<tr><td>" + r.start + "</td><td class=\"text\">" + r.perm + "</td><td class=\"text\"><i class=\"swatch\" style=\"background:" +
                  colors[r.category] + "\"></i>" + r.category + "</td>" +
                  data.fields.map(function (f) { return "<td>" + bytes(r.figures[f]) + "</td>"; }).join("") +
                  "<td class=\"name\">" + escapeText(r.name) + "</td></tr>";
              }).join("");
              var more = chosen.length > limit ? "<tr><td colspan=\"" + columns.length + "\" class=\"text\">… " + (chosen.length - limit) +
                " more regions (use the category filter or smm map --details)</td></tr>" : "";
              details.innerHTML = header + body + more;
            }
            details.addEventListener("click", function (event) {
              var key = event.target && event.target.getAttribute && event.target.getAttribute("data-key");
              if (!key) return;
              if (key === sortKey) { ascending = !ascending; } else { sortKey = key; ascending = key === "start" || key === "name"; }
              renderDetails();
            });
            filter.addEventListener("change", renderDetails);
            renderDetails();

            // Timeline: stacked resident bytes per category.
            if (data.samples.length > 0) {
              document.getElementById("timeline-section").hidden = false;
              var width = 900, height = 260, left = 70, bottom = 24;
              var names = data.categories.map(function (c) { return c.category; }).filter(function (n) { return n !== "Free"; });
              var stacks = data.samples.map(function (s) {
                var running = 0;
                return names.map(function (n) { running += s.resident[n] || 0; return running; });
              });
              var peak = Math.max.apply(null, stacks.map(function (s) { return s[s.length - 1]; }).concat([1]));
              var duration = Math.max(data.samples[data.samples.length - 1].time, 1e-9);
              function x(i) { return left + (data.samples.length === 1 ? 0 : data.samples[i].time / duration) * (width - left - 10); }
              function y(v) { return height - bottom - v / peak * (height - bottom - 10); }
              var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + height + "\">";
              for (var n = names.length - 1; n >= 0; n--) {
                var top = stacks.map(function (s, i) { return x(i) + "," + y(s[n]); });
                var base = stacks.map(function (s, i) { return x(i) + "," + y(n > 0 ? s[n - 1] : 0); }).reverse();
                if (data.samples.length === 1) { top.push((width - 10) + "," + y(stacks[0][n])); base.unshift((width - 10) + "," + y(n > 0 ? stacks[0][n - 1] : 0)); }
                svg += "<polygon fill=\"" + colors[names[n]] + "\" points=\"" + top.concat(base).join(" ") + "\"><title>" + names[n] + "</title></polygon>";
              }
              svg += "<line x1=\"" + left + "\" y1=\"" + (height - bottom) + "\" x2=\"" + (width - 10) + "\" y2=\"" + (height - bottom) + "\" stroke=\"#888\"/>";
              svg += "<text x=\"4\" y=\"16\">" + bytes(peak) + "</text><text x=\"4\" y=\"" + (height - bottom) + "\">0</text>";
              svg += "<text x=\"" + left + "\" y=\"" + (height - 6) + "\">0 s</text><text x=\"" + (width - 60) + "\" y=\"" + (height - 6) + "\">" +
                Math.round(duration * 10) / 10 + " s</text></svg>";
              document.getElementById("timeline").innerHTML = svg;
            }
            body.setAttribute("data-smm-status", "ready");
          } catch (error) {
            body.setAttribute("data-smm-status", "error");
            document.getElementById("status").textContent = "Report script failed: " + error;
          }
        })();
        """#
}
