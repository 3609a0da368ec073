# Builds the page served at "/" from http/page/: index.html with page.css and page.js inlined
# (one response, no further requests), written as a C++ raw string literal.
# -D IN_DIR=<http/page> -D OUT=<generated .inc>
file(READ "${IN_DIR}/index.html" html)
file(READ "${IN_DIR}/page.css" css)
file(READ "${IN_DIR}/page.js" js)
string(REPLACE "/*@PAGE_CSS@*/" "${css}" html "${html}")
string(REPLACE "/*@PAGE_JS@*/" "${js}" html "${html}")
string(FIND "${html}" ")PAGE\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "http/page contains the raw-string delimiter )PAGE\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from http/page/ by http/embed_page.cmake; do not edit.\n"
                        "static const char page_html[] = R\"PAGE(${html})PAGE\";\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
