// The web page served at "/": http/page/index.html with page.css and page.js inlined at build
// time (http/embed_page.cmake), one document with no external assets. What it shows and the
// states it exposes (body[data-state]) are described at the top of http/page/page.js.
// Opening /?prompt=TEXT submits at once (&candidates, &temperature, &seed, &tokens are passed
// on); /#/sonnets/ID opens a stored sonnet.
#include "http/server.hpp"

namespace sonnet::http {

namespace {
#include "page_html.inc"
} // namespace

const std::string& index_html() {
  static const std::string page(page_html, sizeof page_html - 1);
  return page;
}

} // namespace sonnet::http
