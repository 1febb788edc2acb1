/* test-qa-docs.c — what README.md and docs/CONFIG.md show is what Pointsman does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "pm-test-qa-docs"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "pm-config.h"
#include "pm-test-utils.h"

/* The first ```json block after the line HEADING in the file NAME of the source tree. */
static char *
json_block_after (const char *name,
                  const char *heading)
{
  g_autofree char *path = g_build_filename (pm_test_source_dir (), name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  const char *start;
  const char *end;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  start = strstr (text, heading);
  g_assert_nonnull (start);
  start = strstr (start, "```json\n");
  g_assert_nonnull (start);
  start += strlen ("```json\n");
  end = strstr (start, "```");
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

/* The documented first-run file equals the one Pointsman writes, member for member. */
static void
check_default_block (const char *name,
                     const char *heading)
{
  g_autofree char *block = json_block_after (name, heading);
  g_autofree char *dir = pm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "pointsman", "config.json", NULL);
  g_autofree char *written = NULL;
  g_autoptr(JsonParser) documented = json_parser_new ();
  g_autoptr(JsonParser) actual = json_parser_new ();
  g_autoptr(PmConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  /* what the first run writes: pm_config_load on a missing file */
  config = pm_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_file_get_contents (path, &written, NULL, &error);
  g_assert_no_error (error);

  json_parser_load_from_data (documented, block, -1, &error);
  g_assert_no_error (error);
  json_parser_load_from_data (actual, written, -1, &error);
  g_assert_no_error (error);

  if (!json_node_equal (json_parser_get_root (documented), json_parser_get_root (actual)))
    {
      g_test_message ("%s (%s) shows:\n%s\nbut the first run writes:\n%s", name, heading, block, written);
      g_test_fail ();
    }

  /* and the documented block loads as a configuration */
  g_clear_object (&config);
  config = pm_config_new_from_data (block, -1, name, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
}

static void
test_readme_default_config (void)
{
  check_default_block ("README.md", "## Configuration");
}

static void
test_config_md_default_config (void)
{
  check_default_block ("docs/CONFIG.md", "## First-run defaults");
}

/* Every example in CONFIG.md's "A fuller example" is a valid configuration. */
static void
test_config_md_fuller_example (void)
{
  g_autofree char *block = json_block_after ("docs/CONFIG.md", "## A fuller example");
  g_autoptr(PmConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = pm_config_new_from_data (block, -1, "CONFIG.md", &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpuint (pm_config_get_providers (config)->len, ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qa-docs/readme-default-config", test_readme_default_config);
  g_test_add_func ("/qa-docs/config-md-default-config", test_config_md_default_config);
  g_test_add_func ("/qa-docs/config-md-fuller-example", test_config_md_fuller_example);

  return g_test_run ();
}
