-- Run once by the mysql image on an empty data directory (/docker-entrypoint-initdb.d), after it
-- created the `sqlsynth` user from MYSQL_USER/MYSQL_PASSWORD. The validator uses that user as
-- its admin DSN: it creates two sandbox users and grants them rights on the `sx_%` scratch
-- databases and its control database only (shared/engines/provision.py). A user can grant only
-- what it holds WITH GRANT OPTION, hence these. Nothing on other databases, no SUPER.
-- tests/k8s/test_engine_grants.py runs this file and then the validator's provisioning.
GRANT CREATE USER ON *.* TO 'sqlsynth'@'%';
GRANT ALL PRIVILEGES ON `sx\_%`.* TO 'sqlsynth'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON `sqlsynth\_sx\_ctl`.* TO 'sqlsynth'@'%' WITH GRANT OPTION;
