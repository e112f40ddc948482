"""Restricted records: restricting a person, asking for access, break-glass (issue 17).

The rule itself lives in `marac.people.restriction`, below every access layer; this
package holds the writes, the reads of the restriction pages and the placeholder shown
in place of a restricted record.
"""
