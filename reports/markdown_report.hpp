#pragma once
// The report as Markdown, for pull requests and wikis: the same tables, charts summarised as
// min/mean/max per series (the HTML has the pictures).
#include <string>

#include "reports/report_model.hpp"

namespace gpusim::reports {

std::string render_markdown(const ReportModel& m);

}  // namespace gpusim::reports
