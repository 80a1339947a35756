// A button marked data-print prints the page (the kitchen's and the counter's sheets).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
}());

// Draws the dashboard's charts from the JSON the page carries; a click opens the tickets
// behind the bar or slice. Nothing is fetched from anywhere else.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var drawn = [];

  function chart(id, option, onClick) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var instance = window.echarts.init(element);
    instance.setOption(option);
    instance.on("click", onClick);
    element.setAttribute("data-drawn", "yes");
    drawn.push(instance);
  }
  function open(link) { if (link) { window.location.href = link; } }
  function pie(title, items) {
    return { title: { text: title, left: "center" }, tooltip: { trigger: "item" },
             series: [{ type: "pie", radius: ["35%", "65%"], data: items }] };
  }

  chart("chart-days", {
    title: { text: "每天新工单和解决数" }, tooltip: { trigger: "axis" },
    legend: { data: ["新工单", "解决"], right: 10 },
    xAxis: { type: "category", data: data.days.dates }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "新工单", type: "bar", data: data.days["new"] },
             { name: "解决", type: "bar", data: data.days.resolved }]
  }, function (p) {
    open(p.seriesName === "解决" ? data.days.resolved_links[p.dataIndex]
                                 : data.days.links[p.dataIndex]);
  });
  chart("chart-categories", pie("按类别", data.categories), function (p) { open(p.data.link); });
  chart("chart-states", pie("按状态", data.states), function (p) { open(p.data.link); });
  chart("chart-buildings", {
    title: { text: "按楼栋" }, tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.buildings.map(function (b) { return b.name; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: data.buildings.map(function (b) {
      return { value: b.value, link: b.link }; }) }]
  }, function (p) { open(p.data.link); });
  window.addEventListener("resize", function () {
    drawn.forEach(function (c) { c.resize(); });
  });
}());
