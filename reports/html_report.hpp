#pragma once
// The self-contained HTML report: inline CSS and SVG, no scripts, nothing fetched (a Content
// Security Policy forbids it), so it opens offline and in CI artifact viewers.
#include <string>

#include "reports/report_model.hpp"

namespace gpusim::reports {

std::string render_html(const ReportModel& m);

}  // namespace gpusim::reports
