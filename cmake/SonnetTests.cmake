# sonnet_add_test_suite(<target> <sources...>)
# Builds one Boost.Test executable and registers every test case as its own CTest entry
# (`suite/case`), so a hang or crash names the case and ctest lists each of them.
# Each case may take SONNET_TEST_TIMEOUT seconds: 120, or 300 in sanitizer builds, which run the
# same compute 3-10x slower (a hang still ends the run).
if(SONNET_SANITIZERS)
  set(SONNET_TEST_TIMEOUT 300 CACHE STRING "ctest timeout of each test case, in seconds")
else()
  set(SONNET_TEST_TIMEOUT 120 CACHE STRING "ctest timeout of each test case, in seconds")
endif()
function(sonnet_add_test_suite target)
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE sonnet_internal Boost::unit_test_framework)
  target_compile_definitions(${target} PRIVATE
    SONNET_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SONNET_SHARED_DIR="${SONNET_SHARED_DIR}")
  foreach(src IN LISTS ARGN)
    file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/${src}" lines
         REGEX "^[ \t]*BOOST_(AUTO_TEST_SUITE|FIXTURE_TEST_SUITE|AUTO_TEST_CASE|FIXTURE_TEST_CASE)\\(")
    set(suite "")
    foreach(line IN LISTS lines)
      if(line MATCHES "BOOST_(AUTO|FIXTURE)_TEST_SUITE\\(([A-Za-z0-9_]+)")
        set(suite "${CMAKE_MATCH_2}")
      elseif(line MATCHES "BOOST_(AUTO|FIXTURE)_TEST_CASE\\(([A-Za-z0-9_]+)")
        set(case "${CMAKE_MATCH_2}")
        if(suite STREQUAL "")
          set(name "${case}")
        else()
          set(name "${suite}/${case}")
        endif()
        add_test(NAME ${target}.${name} COMMAND ${target} --run_test=${name})
        set_tests_properties(${target}.${name} PROPERTIES TIMEOUT ${SONNET_TEST_TIMEOUT}
          WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
      endif()
    endforeach()
  endforeach()
endfunction()
