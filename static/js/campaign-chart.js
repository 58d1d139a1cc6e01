// Campaign dashboard (D2): opens and clicks over time, drawn with Chart.js from the data the page
// passes with json_script (no inline script: the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("activity-chart");
  const source = document.getElementById("activity-chart-data");
  if (!canvas || !source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = ["#2563eb", "#d97706"];
  const line = data.labels.length > 1; // one hour of activity is drawn as bars
  new window.Chart(canvas, {
    type: line ? "line" : "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((dataset, index) => ({
        label: dataset.label,
        data: dataset.data,
        borderColor: colours[index % colours.length],
        backgroundColor: line ? colours[index % colours.length] + "33" : colours[index % colours.length],
        fill: false,
        tension: 0.2,
        pointRadius: data.labels.length > 48 ? 0 : 3,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { autoSkip: true, maxRotation: 0 } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
});
