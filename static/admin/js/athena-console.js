// The operations console: marks every admin table cell holding an amount in R$ (and the
// header of its column in a list) with the class "money", so athena-console.css aligns it
// to the right, keeps it on one line and uses figures of one width. Works on any list,
// inline or report table without each admin naming its money columns.
(function () {
  "use strict";
  var BRL = /^-?\s*R\$\s?-?[\d.]+,\d{2}$/;

  function mark(table) {
    var moneyColumns = {};
    table.querySelectorAll("tbody td").forEach(function (cell) {
      if (BRL.test(cell.textContent.replace(/\u00a0/g, " ").trim())) {
        cell.classList.add("money");
        moneyColumns[cell.cellIndex] = true;
      }
    });
    // A column with amounts is a money column, its "-" cells included.
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Object.keys(moneyColumns).forEach(function (index) {
        var cell = row.cells[index];
        if (cell && cell.tagName === "TD") cell.classList.add("money");
      });
    });
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    Object.keys(moneyColumns).forEach(function (index) {
      var th = head.cells[index];
      if (th) th.classList.add("money");
    });
  }

  function run() {
    document.querySelectorAll("#content table").forEach(mark);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
