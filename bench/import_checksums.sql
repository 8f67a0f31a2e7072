-- Checksums of what an import wrote, to compare two runs of bench/import.py (two databases):
--   psql -h 127.0.0.1 -U postgres -At -f bench/import_checksums.sql ims_bench_import
-- Ids are compared too: both databases are made afresh by the bench, so equal code gives equal ids
-- (not a mandate's own id: it says only in which order the payers were found).
select 'importrow', md5(string_agg(concat_ws('|', sheet, row_number, outcome, rule, reason, person_id, merged_into_row, candidates::text, raw::text, "values"::text, problems::text, codes), E'\n' order by sheet, row_number)) from migration_importrow;
select 'person', count(*), md5(string_agg(concat_ws('|', id, first_name, last_name, first_name_key, last_name_key, birth_date, gender, email, mobile, address_line, postal_code, city, national_id_hash), E'\n' order by id)) from members_person;
select 'membership', count(*), md5(string_agg(concat_ws('|', id, club_id, person_id, category_id, status, source, member_number, payment_method, next_billing_date, started_on), E'\n' order by id)) from members_membership;
select 'guardians', count(*), md5(string_agg(concat_ws('|', from_person_id, to_person_id), E'\n' order by from_person_id, to_person_id)) from members_person_guardians;
select 'groupmember', count(*), md5(string_agg(concat_ws('|', id, group_id, membership_id, club_id), E'\n' order by id)) from members_groupmember;
select 'mandate', count(*), md5(string_agg(concat_ws('|', payer_id, kid, status, source, notify_by_bank), E'\n' order by payer_id)) from billing_avtalegiromandate;
select 'histperson', count(*) from members_historicalperson;
select 'histmembership', count(*) from members_historicalmembership;
